import { describe, expect, it } from 'vitest';
import type { StackArtifact, TemplateResource } from '../../../localstack/platform/cloud-assembly';
import { LocalPlatformError } from '../../../localstack/platform/emulator';
import type { InvocationResult, LocalFunction } from '../../../localstack/platform/lambda-runtime';
import { runTriggers } from '../../../localstack/platform/triggers';

function stackOf(resources: Record<string, TemplateResource>): StackArtifact {
  return { stackName: 'Triggers', template: { Resources: resources }, assemblyDir: '/nowhere' };
}

/** A stand-in for a LocalFunction: records its events and answers with `result`. */
function fakeFunction(result: InvocationResult = { payload: null }) {
  const events: unknown[] = [];
  const fn = {
    invoke: async (event: unknown): Promise<InvocationResult> => {
      events.push(event);
      return result;
    },
  } as unknown as LocalFunction;
  return { fn, events };
}

const FUNCTION: TemplateResource = { Type: 'AWS::Lambda::Function', Properties: {} };
const trigger = (handlerArn: unknown): TemplateResource => ({
  Type: 'Custom::Trigger',
  Properties: {
    ServiceToken: { 'Fn::GetAtt': ['TriggerProvider', 'Arn'] },
    HandlerArn: handlerArn,
    InvocationType: 'RequestResponse',
  },
});

describe('runTriggers', () => {
  it('invokes the function behind a version (HandlerArn Ref) once, with an empty event', async () => {
    const rotation = fakeFunction();
    const other = fakeFunction();
    const stack = stackOf({
      Rotation: FUNCTION,
      Other: FUNCTION,
      RotationVersion: {
        Type: 'AWS::Lambda::Version',
        Properties: { FunctionName: { Ref: 'Rotation' } },
      },
      BootstrapKeys: trigger({ Ref: 'RotationVersion' }),
    });
    const ran = await runTriggers(
      stack,
      new Map([
        ['Rotation', rotation.fn],
        ['Other', other.fn],
      ]),
    );
    expect(ran).toEqual(['BootstrapKeys']);
    expect(rotation.events).toEqual([{}]);
    expect(other.events).toEqual([]);
  });

  it('invokes the function named by Fn::GetAtt Arn', async () => {
    const target = fakeFunction();
    const ran = await runTriggers(
      stackOf({ Target: FUNCTION, Run: trigger({ 'Fn::GetAtt': ['Target', 'Arn'] }) }),
      new Map([['Target', target.fn]]),
    );
    expect(ran).toEqual(['Run']);
    expect(target.events).toEqual([{}]);
  });

  it('invokes the function named by a Ref to the function itself', async () => {
    const target = fakeFunction();
    await runTriggers(
      stackOf({ Target: FUNCTION, Run: trigger({ Ref: 'Target' }) }),
      new Map([['Target', target.fn]]),
    );
    expect(target.events).toEqual([{}]);
  });

  it('runs every trigger of the stack, in template order', async () => {
    const first = fakeFunction();
    const second = fakeFunction();
    const ran = await runTriggers(
      stackOf({
        First: FUNCTION,
        Second: FUNCTION,
        RunFirst: trigger({ 'Fn::GetAtt': ['First', 'Arn'] }),
        RunSecond: trigger({ 'Fn::GetAtt': ['Second', 'Arn'] }),
      }),
      new Map([
        ['First', first.fn],
        ['Second', second.fn],
      ]),
    );
    expect(ran).toEqual(['RunFirst', 'RunSecond']);
    expect(first.events).toHaveLength(1);
    expect(second.events).toHaveLength(1);
  });

  it('runs nothing when the stack has no trigger', async () => {
    const target = fakeFunction();
    expect(
      await runTriggers(stackOf({ Target: FUNCTION }), new Map([['Target', target.fn]])),
    ).toEqual([]);
    expect(target.events).toEqual([]);
  });

  it('fails, naming the trigger and the error, when the trigger function fails', async () => {
    const failing = fakeFunction({
      functionError: 'Unhandled',
      payload: { errorType: 'AccessDenied', errorMessage: 'ssm:PutParameter denied' },
    });
    const run = runTriggers(
      stackOf({
        Rotation: FUNCTION,
        BootstrapKeys: trigger({ 'Fn::GetAtt': ['Rotation', 'Arn'] }),
      }),
      new Map([['Rotation', failing.fn]]),
    );
    await expect(run).rejects.toBeInstanceOf(LocalPlatformError);
    await expect(run).rejects.toThrow(
      'Trigger BootstrapKeys failed: AccessDenied: ssm:PutParameter denied',
    );
  });

  it('stops at the first failing trigger', async () => {
    const failing = fakeFunction({ functionError: 'Unhandled', payload: null });
    const later = fakeFunction();
    await expect(
      runTriggers(
        stackOf({
          Bad: FUNCTION,
          Good: FUNCTION,
          RunBad: trigger({ 'Fn::GetAtt': ['Bad', 'Arn'] }),
          RunGood: trigger({ 'Fn::GetAtt': ['Good', 'Arn'] }),
        }),
        new Map([
          ['Bad', failing.fn],
          ['Good', later.fn],
        ]),
      ),
    ).rejects.toThrow(/^Trigger RunBad failed: Error: $/);
    expect(later.events).toEqual([]);
  });

  it.each([
    ['a function the local platform does not run', { 'Fn::GetAtt': ['Missing', 'Arn'] }],
    ['a resource that does not exist', { Ref: 'Nowhere' }],
    ['a resource that is no function', { Ref: 'Queue' }],
    ['no handler at all', undefined],
  ])('throws when HandlerArn names %s', async (_, handlerArn) => {
    const known = fakeFunction();
    const run = runTriggers(
      stackOf({
        Known: FUNCTION,
        Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
        Run: trigger(handlerArn),
      }),
      new Map([['Known', known.fn]]),
    );
    await expect(run).rejects.toBeInstanceOf(LocalPlatformError);
    await expect(run).rejects.toThrow(
      'Trigger Run names a function the local platform does not run',
    );
    expect(known.events).toEqual([]);
  });
});
