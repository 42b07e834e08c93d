/**
 * The arithmetic of `npm run bench`: medians and the product's three targets. The timings
 * themselves are measured by `npm run bench` on the machine at hand, not in the test suite.
 */
import { describe, expect, it } from 'vitest';
import { judgeTargets, median } from '../../lib/bench';

describe('median', () => {
  it('takes the middle sample of an odd count, whatever the order, and the mean of the middle two of an even one', () => {
    expect(median([900, 100, 500])).toBe(500);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([7])).toBe(7);
  });
});

describe('judgeTargets', () => {
  const passing = { synth: 700, kustomize: 230, stock: 4500, twoEnvironments: 600, twentyEnvironments: 1100 };

  it('passes figures within the three targets, and reports the ratios', () => {
    const checks = judgeTargets(passing);
    expect(checks.map((c) => c.name)).toEqual(['synth / kustomize', 'stock flow / synth', '20 envs / 2 envs']);
    expect(checks.every((c) => c.ok)).toBe(true);
    expect(checks[0]!.value).toBeCloseTo(700 / 230);
    expect(checks[1]!.value).toBeCloseTo(4500 / 700);
    expect(checks[2]!.value).toBeCloseTo(1100 / 600);
  });

  it.each([
    ['synth / kustomize', { synth: 2400, stock: 13000 }],
    ['stock flow / synth', { stock: 3400 }],
    ['20 envs / 2 envs', { twentyEnvironments: 1200 }],
  ])('fails %s when it misses its target, and only that one', (name, change) => {
    const checks = judgeTargets({ ...passing, ...change });
    expect(checks.filter((c) => !c.ok).map((c) => c.name)).toEqual([name]);
  });
});
