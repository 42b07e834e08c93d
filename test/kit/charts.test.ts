/**
 * ApplyOrder (lib/kit/charts.ts): the charts of an environment in apply order, the manual ones
 * apart, and the charts that share the last wave.
 */
import { App } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { ApplyOrder, LastWaveChart, ManualChart } from '../../lib/kit/charts';

describe('ApplyOrder', () => {
  it('marks the last wave\'s charts and the manual ones, and refuses a last wave that is not declared last', () => {
    const order = new ApplyOrder(new App(), ['a', 'b', 'c'], ['m'], {}, ['b', 'c']);
    expect(['a', 'b', 'c', 'm'].map((id) => [LastWaveChart.isLastWave(order.chart(id as 'a')), ManualChart.isManual(order.chart(id as 'a'))])).toEqual([
      [false, false],
      [true, false],
      [true, false],
      [false, true],
    ]);
    expect(() => new ApplyOrder(new App(), ['a', 'b', 'c'], [], {}, ['b'])).toThrow("ApplyOrder: the last wave's charts (b) must come after every other applied chart");
  });
});
