import { describe, expect, it } from 'vitest';
import {
  consoleProgress,
  formatPhaseLine,
  phase,
  type StartupPhase,
} from '../../../localstack/platform/progress';

/** A clock that moves only when told. */
function fakeClock(start = 1000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('phase', () => {
  it('reports the phase, its duration and its detail once it ends, and answers its result', async () => {
    const reported: StartupPhase[] = [];
    const clock = fakeClock();
    const result = await phase(
      (finished) => reported.push(finished),
      'provisioning',
      async () => {
        clock.advance(2_345);
        return ['a', 'b'];
      },
      (resources) => `${resources.length} resources`,
      clock.now,
    );
    expect(result).toEqual(['a', 'b']);
    expect(reported).toEqual([{ phase: 'provisioning', durationMs: 2_345, detail: '2 resources' }]);
  });

  it('reports nothing for a phase that fails, and passes its error on', async () => {
    const reported: StartupPhase[] = [];
    await expect(
      phase(
        (finished) => reported.push(finished),
        'synth',
        () => Promise.reject(new Error('cdk synth failed')),
      ),
    ).rejects.toThrow('cdk synth failed');
    expect(reported).toEqual([]);
  });

  it('runs without a listener', async () => {
    await expect(phase(undefined, 'gateway', () => 42)).resolves.toBe(42);
  });
});

describe('formatPhaseLine', () => {
  it('lines up the phase, its seconds with one decimal, and the detail', () => {
    expect(formatPhaseLine({ phase: 'synth', durationMs: 14_849, detail: '1 stack' })).toBe(
      'synth           14.8 s  1 stack',
    );
    expect(formatPhaseLine({ phase: 'emulator setup', durationMs: 61_000 })).toBe(
      'emulator setup  61.0 s',
    );
  });
});

describe('consoleProgress', () => {
  it('prints exactly one line per finished phase', () => {
    const written: string[] = [];
    const print = consoleProgress({ write: (text: string) => written.push(text) > 0 });
    print({ phase: 'state', durationMs: 3, detail: '.local locked' });
    print({ phase: 'gateway', durationMs: 0 });
    expect(written).toEqual([
      'state            0.0 s  .local locked\n',
      'gateway          0.0 s\n',
    ]);
  });
});
