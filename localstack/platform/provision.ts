import type { StackArtifact } from './cloud-assembly';
import { resolveValue } from './intrinsics';
import type { MutableResolutionContext } from './physical-names';
import { PROVISIONERS, PROVISION_ORDER } from './provisioners';

export interface ProvisionedResource {
  readonly logicalId: string;
  readonly type: string;
  readonly physicalId: string;
  /** True when it already existed (a persistent emulator such as LocalStack). */
  readonly existed: boolean;
}

export interface AwsClientSettings {
  /** @default - the SDK's own resolution: AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL */
  readonly endpoint?: string;
  readonly region: string;
  readonly credentials: { accessKeyId: string; secretAccessKey: string };
}

/** Services the platform degrades without, rather than refusing to start. */
const OPTIONAL_SERVICES = new Set(['ServiceDiscovery', 'AppConfig']);

function warn(message: string): void {
  process.stderr.write(`serverless-msa: ${message}\n`);
}

export function provisionedTypes(): string[] {
  return Object.keys(PROVISIONERS);
}

/**
 * Creates in the emulator the stateful resources a template declares, driven by the template
 * (not by a hand-kept list), parents before children. Each supported type has one provisioner;
 * it records the IDs the emulator chose, so later references (`Ref`, `Fn::GetAtt`) resolve to
 * them. Everything else is served by the local platform itself (gateway, functions, triggers) or
 * has no local meaning (IAM, log groups, alarms).
 */
export async function provisionStack(
  stack: StackArtifact,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource[]> {
  const created: ProvisionedResource[] = [];
  const resources = Object.entries(stack.template.Resources)
    .filter(([, resource]) => PROVISIONERS[resource.Type])
    .sort(([, a], [, b]) => PROVISION_ORDER.indexOf(a.Type) - PROVISION_ORDER.indexOf(b.Type));
  const unavailable = new Set<string>();
  for (const [logicalId, resource] of resources) {
    const service = resource.Type.split('::')[1];
    if (unavailable.has(service)) continue;
    try {
      const properties = (resolveValue(resource.Properties ?? {}, context) ?? {}) as Record<
        string,
        unknown
      >;
      created.push(await PROVISIONERS[resource.Type](logicalId, properties, context, clients));
    } catch (error) {
      // LocalStack's free tier has no Cloud Map or AppConfig: the platform still runs without
      // them (discovery falls back to the functions named at deploy time, flags to defaults).
      if (!OPTIONAL_SERVICES.has(service)) throw error;
      unavailable.add(service);
      warn(
        `${service} is not available from ${clients.endpoint ?? 'its endpoint'} (${(error as Error).name}); running without it`,
      );
    }
  }
  return created;
}
