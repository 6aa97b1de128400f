import { resourcesOfType, type StackArtifact } from './cloud-assembly';
import type { LocalFunction } from './lambda-runtime';

/** Longer schedules (key rotation every 30 days) make no sense for a local session. */
const LONGEST_LOCAL_PERIOD_MS = 60 * 60 * 1000;
const UNIT_MS: Record<string, number> = {
  minute: 60_000,
  minutes: 60_000,
  hour: 3_600_000,
  hours: 3_600_000,
  day: 86_400_000,
  days: 86_400_000,
};

export interface LocalSchedule {
  readonly rule: string;
  readonly periodMs: number;
  readonly functionName: string;
  stop(): void;
}

/**
 * Runs the stack's `rate(...)` EventBridge rules that target local functions on a timer, with the
 * rule's input (or a scheduled-event document), as EventBridge would. Rules slower than an hour
 * are left out; invoke their functions on demand through the local Lambda API instead.
 */
export function startSchedules(
  stack: StackArtifact,
  functions: ReadonlyMap<string, LocalFunction>,
  region: string,
): LocalSchedule[] {
  const schedules: LocalSchedule[] = [];
  for (const [ruleId, rule] of resourcesOfType(stack.template, 'AWS::Events::Rule')) {
    const match = /^rate\((\d+) (minutes?|hours?|days?)\)$/.exec(
      String(rule.Properties?.ScheduleExpression ?? ''),
    );
    if (!match || rule.Properties?.State === 'DISABLED') continue;
    const periodMs = Number(match[1]) * UNIT_MS[match[2]];
    if (periodMs > LONGEST_LOCAL_PERIOD_MS) continue;
    for (const target of (rule.Properties?.Targets ?? []) as {
      Arn?: { 'Fn::GetAtt'?: [string, string] };
      Input?: string;
    }[]) {
      const fn = target.Arn?.['Fn::GetAtt']
        ? functions.get(target.Arn['Fn::GetAtt'][0])
        : undefined;
      if (!fn) continue;
      const event = () =>
        target.Input !== undefined
          ? JSON.parse(target.Input)
          : {
              version: '0',
              source: 'aws.events',
              'detail-type': 'Scheduled Event',
              region,
              time: new Date().toISOString(),
              resources: [],
              detail: {},
            };
      const timer = setInterval(() => void fn.invoke(event()), periodMs);
      timer.unref();
      schedules.push({
        rule: ruleId,
        periodMs,
        functionName: fn.definition.functionName,
        stop: () => clearInterval(timer),
      });
    }
  }
  return schedules;
}
