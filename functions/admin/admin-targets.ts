import type { ServiceDiscoveryClient } from '@aws-sdk/client-servicediscovery';
import { listNamespaceServices } from '../runtime/discovery/namespace-catalog';
import { notFound } from '../runtime/http/problem';

/**
 * What the admin API may act on, so that nothing it writes names a thing that does not exist:
 * - a service is one registered in the platform's Cloud Map namespace (where `/admin/services`
 *   reads them);
 * - a circuit is one with a record (some caller has used it), or one named after a registered
 *   service (the circuit every caller of that service will use: an operator may force it
 *   before the first call). Any other name is a 404, and nothing is written.
 */
export class AdminTargets {
  constructor(
    private readonly serviceDiscovery: ServiceDiscoveryClient,
    private readonly namespaceId: string,
    private readonly circuitNames: () => Promise<readonly string[]>,
  ) {}

  async serviceNames(): Promise<Set<string>> {
    const services = await listNamespaceServices(this.serviceDiscovery, this.namespaceId);
    return new Set(services.map((service) => service.name));
  }

  async requireService(name: string): Promise<void> {
    if (!(await this.serviceNames()).has(name)) {
      throw notFound(`No service named ${name} is registered on the platform.`);
    }
  }

  async requireCircuit(name: string): Promise<void> {
    if ((await this.circuitNames()).includes(name)) return;
    if ((await this.serviceNames()).has(name)) return;
    throw notFound(
      `No circuit named ${name}: no caller has used it and no registered service has that name.`,
    );
  }
}
