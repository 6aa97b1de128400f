/**
 * Picks one item with probability weight / total weight (Ribbon's weighted response-time rule
 * without the response times: the weights are what the operator registered).
 *
 * `random` must return a number in [0, 1), as `Math.random` does; the items are walked in the
 * order given, so the same order and the same random number always give the same item (the
 * caller sorts, so that Cloud Map's answer order does not matter). Items of weight 0 are never
 * chosen. Returns undefined when no item has a positive weight.
 */
export function weightedChoice<T>(
  items: readonly T[],
  weightOf: (item: T) => number,
  random: () => number = Math.random,
): T | undefined {
  let total = 0;
  for (const item of items) total += positive(weightOf(item));
  if (total === 0) return undefined;
  // Clamp so that a random source returning exactly 1 (or a little more) still lands in range.
  const target = Math.min(Math.max(random(), 0), 1 - Number.EPSILON) * total;
  let cumulative = 0;
  let last: T | undefined;
  for (const item of items) {
    const weight = positive(weightOf(item));
    if (weight === 0) continue;
    cumulative += weight;
    last = item;
    if (target < cumulative) return item;
  }
  // Floating-point rounding can leave the target a hair above the sum: the last candidate wins.
  return last;
}

function positive(weight: number): number {
  return Number.isFinite(weight) && weight > 0 ? weight : 0;
}
