import { describe, expect, it } from 'vitest';
import { weightedChoice } from '../../../../functions/runtime/discovery/weighted-choice';

const items = [
  { id: 'a', weight: 100 },
  { id: 'b', weight: 300 },
  { id: 'drained', weight: 0 },
  { id: 'd', weight: 600 },
];
const weight = (item: { weight: number }) => item.weight;
const pick = (r: number) => weightedChoice(items, weight, () => r)?.id;

describe('weightedChoice', () => {
  it('splits an evenly spread random sequence exactly in proportion to the weights', () => {
    const counts: Record<string, number> = {};
    for (let i = 0; i < 1000; i++) {
      const chosen = weightedChoice(items, weight, () => i / 1000);
      counts[chosen!.id] = (counts[chosen!.id] ?? 0) + 1;
    }
    expect(counts).toEqual({ a: 100, b: 300, d: 600 });
  });

  it('maps each random number to the item whose cumulative band holds it', () => {
    expect(pick(0)).toBe('a');
    expect(pick(0.0999)).toBe('a');
    expect(pick(0.1)).toBe('b');
    expect(pick(0.3999)).toBe('b');
    expect(pick(0.4)).toBe('d');
    expect(pick(0.9999)).toBe('d');
  });

  it('never chooses an item of weight 0, and stays in range when random misbehaves', () => {
    expect(pick(1)).toBe('d');
    expect(pick(-0.5)).toBe('a');
    expect(weightedChoice([{ weight: 0 }, { weight: 5 }], weight, () => 0)).toEqual({ weight: 5 });
  });

  it('treats negative and non-finite weights as 0', () => {
    const odd = [
      { id: 'neg', weight: -5 },
      { id: 'nan', weight: Number.NaN },
      { id: 'ok', weight: 1 },
    ];
    expect(weightedChoice(odd, weight, () => 0)?.id).toBe('ok');
  });

  it('returns undefined when nothing has a positive weight', () => {
    expect(weightedChoice([], weight, () => 0)).toBeUndefined();
    expect(weightedChoice([{ weight: 0 }, { weight: 0 }], weight, () => 0.5)).toBeUndefined();
  });
});
