import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import type { InstanceHealth } from './instance';
import {
  instanceHealthStatuses,
  listNamespaceServices,
  listServiceInstances,
} from './namespace-catalog';

export interface AdminServiceView {
  readonly name: string;
  readonly instances: readonly AdminInstanceView[];
}

export interface AdminInstanceView {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
  readonly health: InstanceHealth;
}

/**
 * What `GET /admin/services` shows: every service of the namespace, its registered instances
 * with their attributes, and the health Cloud Map holds for each (as the control loop last set
 * it). An instance whose health cannot be read shows UNKNOWN rather than hiding the service:
 * an operator looking at an incident needs the registrations most when something is failing.
 */
export async function listServices(
  client: ServiceDiscoveryClient,
  namespaceId: string,
): Promise<AdminServiceView[]> {
  const services = await listNamespaceServices(client, namespaceId);
  return Promise.all(
    services.map(async (service) => {
      const [instances, health] = await Promise.all([
        listServiceInstances(client, service.id),
        instanceHealthStatuses(client, service.id).catch(() => new Map<string, InstanceHealth>()),
      ]);
      return {
        name: service.name,
        instances: instances.map((instance) => ({
          id: instance.id,
          attributes: instance.attributes,
          health: health.get(instance.id) ?? 'UNKNOWN',
        })),
      };
    }),
  );
}
