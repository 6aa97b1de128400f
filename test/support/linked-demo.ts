import { readCloudAssembly, type StackArtifact } from '../../localstack/platform/cloud-assembly';
import { AppLinks, orderStacks } from '../../localstack/platform/app-stacks';
import type { ResolutionContext } from '../../localstack/platform/intrinsics';
import { nameResources } from '../../localstack/platform/physical-names';
import { synthDemoAssembly } from './demo-assembly';

export interface LinkedStack {
  readonly stack: StackArtifact;
  readonly context: ResolutionContext;
}

/**
 * The example app's stacks named and linked as the local platform does (look-ups resolved from
 * what earlier stacks publish), without an emulator: IDs are the names the platform gives.
 */
export async function linkedDemo(): Promise<LinkedStack[]> {
  const links = new AppLinks();
  const linked: LinkedStack[] = [];
  for (const stack of orderStacks(readCloudAssembly(synthDemoAssembly()))) {
    const context = nameResources(stack, { region: 'us-east-1', accountId: '123456789012' });
    await links.link(stack, context, async () => undefined);
    links.record(stack, context);
    linked.push({ stack, context });
  }
  return linked;
}
