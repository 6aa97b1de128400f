import { createHash } from 'node:crypto';
import {
  CreateEventBusCommand,
  EventBridgeClient,
  PutRuleCommand,
  PutTargetsCommand,
} from '@aws-sdk/client-eventbridge';
import { CreateQueueCommand, SQSClient } from '@aws-sdk/client-sqs';
import { resourcesOfType, type StackArtifact } from '../cloud-assembly';
import { resolveValue } from '../intrinsics';
import type { MutableResolutionContext } from '../physical-names';
import type { AwsClientSettings, ProvisionedResource } from '../provision';

/**
 * The messaging resources of a stack, named as CloudFormation would name them: queues (Ref is
 * the URL, set once the emulator made it), buses, rules, and event source mappings (Ref is a
 * UUID). ARNs are the real services' formats, so rule targets and redrive policies resolve to
 * what the emulator knows.
 */
export function nameMessagingResources(
  stack: StackArtifact,
  context: MutableResolutionContext,
): void {
  const { region, accountId } = context;
  for (const [logicalId, resource] of Object.entries(stack.template.Resources)) {
    const properties = resource.Properties ?? {};
    const generated = `${stack.stackName}-${logicalId}-${hash(`${stack.stackName}/${logicalId}`, 8).toUpperCase()}`;
    switch (resource.Type) {
      case 'AWS::SQS::Queue': {
        const name = literal(properties.QueueName) ?? generated.slice(0, 80);
        context.refs.set(logicalId, `local-queue-url:${name}`);
        context.attributes.set(`${logicalId}.Arn`, `arn:aws:sqs:${region}:${accountId}:${name}`);
        context.attributes.set(`${logicalId}.QueueName`, name);
        break;
      }
      case 'AWS::Events::EventBus': {
        const name = literal(properties.Name) ?? generated.slice(0, 256);
        context.refs.set(logicalId, name);
        context.attributes.set(`${logicalId}.Name`, name);
        context.attributes.set(
          `${logicalId}.Arn`,
          `arn:aws:events:${region}:${accountId}:event-bus/${name}`,
        );
        break;
      }
      case 'AWS::Events::Rule': {
        const name = literal(properties.Name) ?? generated.slice(0, 64);
        context.refs.set(logicalId, name);
        context.attributes.set(
          `${logicalId}.Arn`,
          `arn:aws:events:${region}:${accountId}:rule/${name}`,
        );
        break;
      }
      case 'AWS::Lambda::EventSourceMapping': {
        const digest = hash(`${stack.stackName}/${logicalId}`, 32);
        const uuid = `${digest.slice(0, 8)}-${digest.slice(8, 12)}-${digest.slice(12, 16)}-${digest.slice(16, 20)}-${digest.slice(20, 32)}`;
        context.refs.set(logicalId, uuid);
        context.attributes.set(`${logicalId}.Id`, uuid);
        break;
      }
    }
  }
}

/**
 * Creates a stack's buses, queues (dead-letter queues first) and event-pattern rules with their
 * targets in the emulator, so that `PutEvents` reaches the queues as EventBridge would deliver.
 * Scheduled rules are left to the local schedules, event source mappings to the local pollers.
 */
export async function provisionMessaging(
  stack: StackArtifact,
  context: MutableResolutionContext,
  clients: AwsClientSettings,
): Promise<ProvisionedResource[]> {
  const created: ProvisionedResource[] = [];
  const eventBridge = new EventBridgeClient(clients);
  const sqs = new SQSClient(clients);
  try {
    for (const [logicalId] of resourcesOfType(stack.template, 'AWS::Events::EventBus')) {
      const name = context.refs.get(logicalId)!;
      let existed = false;
      try {
        await eventBridge.send(new CreateEventBusCommand({ Name: name }));
      } catch (error) {
        if ((error as Error).name !== 'ResourceAlreadyExistsException') throw error;
        existed = true;
      }
      created.push({ logicalId, type: 'AWS::Events::EventBus', physicalId: name, existed });
    }
    // A queue's redrive policy names its dead-letter queue, which must exist first.
    const queues = resourcesOfType(stack.template, 'AWS::SQS::Queue').sort(
      ([, a], [, b]) =>
        Number(a.Properties?.RedrivePolicy !== undefined) -
        Number(b.Properties?.RedrivePolicy !== undefined),
    );
    for (const [logicalId, resource] of queues) {
      const properties = (resolveValue(resource.Properties ?? {}, context) ?? {}) as Record<
        string,
        unknown
      >;
      const name = context.attributes.get(`${logicalId}.QueueName`)!;
      const attributes: Record<string, string> = {};
      for (const key of [
        'VisibilityTimeout',
        'MessageRetentionPeriod',
        'DelaySeconds',
        'ReceiveMessageWaitTimeSeconds',
        'MaximumMessageSize',
      ]) {
        if (properties[key] !== undefined) attributes[key] = String(properties[key]);
      }
      if (properties.RedrivePolicy !== undefined) {
        attributes.RedrivePolicy = JSON.stringify(properties.RedrivePolicy);
      }
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      context.refs.set(logicalId, QueueUrl!);
      context.attributes.set(`${logicalId}.QueueUrl`, QueueUrl!);
      created.push({ logicalId, type: 'AWS::SQS::Queue', physicalId: QueueUrl!, existed: false });
    }
    for (const [logicalId, resource] of resourcesOfType(stack.template, 'AWS::Events::Rule')) {
      if (resource.Properties?.EventPattern === undefined) continue;
      const properties = (resolveValue(resource.Properties, context) ?? {}) as {
        EventBusName?: string;
        EventPattern: unknown;
        State?: string;
        Targets?: { Id: string; Arn: string; Input?: string }[];
      };
      const name = context.refs.get(logicalId)!;
      await eventBridge.send(
        new PutRuleCommand({
          Name: name,
          EventBusName: properties.EventBusName,
          EventPattern: JSON.stringify(properties.EventPattern),
          State: properties.State === 'DISABLED' ? 'DISABLED' : 'ENABLED',
        }),
      );
      const targets = (properties.Targets ?? []).filter((target) => target.Arn.includes(':sqs:'));
      if (targets.length > 0) {
        await eventBridge.send(
          new PutTargetsCommand({
            Rule: name,
            EventBusName: properties.EventBusName,
            Targets: targets.map((target) => ({
              Id: target.Id,
              Arn: target.Arn,
              Input: target.Input,
            })),
          }),
        );
      }
      created.push({ logicalId, type: 'AWS::Events::Rule', physicalId: name, existed: false });
    }
  } finally {
    eventBridge.destroy();
    sqs.destroy();
  }
  return created;
}

function hash(text: string, length: number): string {
  return createHash('sha256').update(text).digest('hex').slice(0, length);
}

function literal(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
