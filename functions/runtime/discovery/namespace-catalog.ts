import {
  GetInstancesHealthStatusCommand,
  GetServiceCommand,
  ListInstancesCommand,
  ListNamespacesCommand,
  ListServicesCommand,
  type ServiceDiscoveryClient,
  type ServiceSummary,
} from '@aws-sdk/client-servicediscovery';
import { toInstanceHealth, type InstanceHealth } from './instance';

/**
 * Read-only walks over a Cloud Map namespace, shared by the health control loop and the admin
 * view. Every list is paged to the end: a platform with many services must not lose the ones
 * past the first page.
 */

export interface CatalogService {
  readonly id: string;
  readonly name: string;
  /** The service was created with HealthCheckCustomConfig: its instances' health can be set. */
  readonly customHealth: boolean;
}

export interface CatalogInstance {
  readonly id: string;
  readonly attributes: Readonly<Record<string, string>>;
}

/**
 * Every service of the namespace, ordered by name.
 *
 * Each service the filtered list returns is confirmed with GetService, whose answer names its
 * namespace: AWS applies the NAMESPACE_ID filter, but moto ignores it (and the SDK drops the
 * NamespaceId it adds to a summary), and the control loop writes health: it must never mark
 * another platform's instances. The price is one read per service per pass.
 */
export async function listNamespaceServices(
  client: ServiceDiscoveryClient,
  namespaceId: string,
): Promise<CatalogService[]> {
  const listed: ServiceSummary[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new ListServicesCommand({
        Filters: [{ Name: 'NAMESPACE_ID', Values: [namespaceId], Condition: 'EQ' }],
        NextToken,
      }),
    );
    listed.push(...(page.Services ?? []));
    NextToken = page.NextToken;
  } while (NextToken);
  const confirmed = await Promise.all(
    listed.map(async (summary): Promise<CatalogService | undefined> => {
      if (!summary.Id || !summary.Name) return undefined;
      const { Service } = await client.send(new GetServiceCommand({ Id: summary.Id }));
      if (Service?.NamespaceId !== namespaceId) return undefined;
      return {
        id: summary.Id,
        name: summary.Name,
        customHealth: Service.HealthCheckCustomConfig !== undefined,
      };
    }),
  );
  return confirmed
    .filter((service): service is CatalogService => service !== undefined)
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Every registered instance of a service, ordered by ID. */
export async function listServiceInstances(
  client: ServiceDiscoveryClient,
  serviceId: string,
): Promise<CatalogInstance[]> {
  const instances: CatalogInstance[] = [];
  let NextToken: string | undefined;
  do {
    const page = await client.send(new ListInstancesCommand({ ServiceId: serviceId, NextToken }));
    for (const instance of page.Instances ?? []) {
      if (instance.Id) instances.push({ id: instance.Id, attributes: instance.Attributes ?? {} });
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return instances.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

/** The health Cloud Map holds for each instance of a service; an instance missing is UNKNOWN. */
export async function instanceHealthStatuses(
  client: ServiceDiscoveryClient,
  serviceId: string,
): Promise<Map<string, InstanceHealth>> {
  const statuses = new Map<string, InstanceHealth>();
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new GetInstancesHealthStatusCommand({ ServiceId: serviceId, NextToken }),
    );
    for (const [id, status] of Object.entries(page.Status ?? {})) {
      statuses.set(id, toInstanceHealth(status));
    }
    NextToken = page.NextToken;
  } while (NextToken);
  return statuses;
}

/** The ID of the namespace called `name`; throws when there is none. */
export async function resolveNamespaceId(
  client: ServiceDiscoveryClient,
  name: string,
): Promise<string> {
  let NextToken: string | undefined;
  do {
    const page = await client.send(
      new ListNamespacesCommand({
        Filters: [{ Name: 'NAME', Values: [name], Condition: 'EQ' }],
        NextToken,
      }),
    );
    // Checked again here: moto ignores the filter.
    const found = page.Namespaces?.find((namespace) => namespace.Name === name);
    if (found?.Id) return found.Id;
    NextToken = page.NextToken;
  } while (NextToken);
  throw new Error(`No Cloud Map namespace is called '${name}'`);
}
