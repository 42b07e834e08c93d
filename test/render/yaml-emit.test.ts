/**
 * The manifests' fast YAML writer (lib/render/yaml-emit.ts) writes byte for byte what
 * lib/kit/yaml.ts (js-yaml) writes: on every rendered object, and on the values that decide a
 * scalar's style (quoting, block literals, indentation indicators, keys, numbers).
 */
import { describe, expect, it } from 'vitest';
import { yamlText } from '../../lib/kit/yaml';
import { fastYamlText } from '../../lib/render/yaml-emit';
import { renderCommitted } from '../support/render';

const strings = [
  '', 'plain', 'gravl-staging', 'app.kubernetes.io/name', '/var/lib/data', '_x', '.hidden', 'a-', '-leading', '-', '--', '---', '...',
  'true', 'False', 'NULL', 'null', '~', 'yes', 'on', 'Off', 'y', 'n', '0', '12', '012', '0o14', '0x1F', '0b101', '1_000', '1e3', '1.5', '.5', '.inf', '-.Inf', '.NaN', '+1', '-1',
  '2026-11-22', '2026-11-22T10:00:00Z', '1:30', '190:20:30', '<<', '=', '@at', '`tick', '%pct', '!bang', '&amp', '*star', '|pipe', '>gt', '?q', ':colon', 'a: b', 'a:b', 'a #b', 'a#b', '#c', 'trailing:', 'space ', ' lead',
  "it's", '"double"', "'single'", 'comma,', '[x]', '{y}', 'http://host:8080/path?q=1#frag', 'sum(rate(x[5m])) > 0.05',
  'tab\there', 'bell\u0007', 'nbsp\u00a0', 'line\u2028sep', 'bom\ufeff', 'emoji 🚀', 'lone \ud800 surrogate', 'café', '中文',
  'one\ntwo', 'one\ntwo\n', 'one\ntwo\n\n', '\n', '\n\n', '\nlead', ' indented\nsecond', '\n  more', 'a\n\n\nb', 'tab\nin\tline', 'cr\r\nlf', 'x'.repeat(300) + '\ny',
];

describe('fastYamlText', () => {
  it('writes every rendered object as js-yaml does', () => {
    let count = 0;
    for (const env of renderCommitted()) {
      for (const o of [...env.objects, ...env.manualObjects]) {
        expect(fastYamlText(o), `${env.name} ${o.kind} ${o.metadata.name}`).toBe(yamlText(o));
        count++;
      }
    }
    expect(count).toBeGreaterThan(200);
  });

  it.each(strings.map((s) => [JSON.stringify(s), s]))('writes the string %s as js-yaml does, as a value at every depth, an item and a key', (_shown, s) => {
    for (const value of [s, { k: s }, { a: { b: { c: s } } }, [s], [[s]], { list: [{ k: s }] }, { [s]: 1 }, { a: { [s]: [s] } }]) {
      expect(fastYamlText(value)).toBe(yamlText(value));
    }
  });

  it('writes numbers, booleans, null, empty and skipped values as js-yaml does', () => {
    const value = { i: 3, neg: -7, zero: 0, negZero: -0, f: 0.05, big: 1e21, tiny: 1e-7, nan: NaN, inf: Infinity, ninf: -Infinity, t: true, f2: false, n: null, u: undefined, e: {}, a: [], onlyUndefined: { x: undefined }, holes: [1, undefined, null], nested: [[], {}, [[1]]] };
    expect(fastYamlText(value)).toBe(yamlText(value));
    for (const v of [0, 1.5, true, null, [], {}]) expect(fastYamlText(v)).toBe(yamlText(v));
  });

  it('leaves what is not a JSON value to js-yaml, and fails as it fails', () => {
    const withDate = { at: new Date('2026-11-22T10:00:00Z'), bytes: new Uint8Array([1, 2]) };
    expect(fastYamlText(withDate)).toBe(yamlText(withDate));
    expect(fastYamlText(undefined)).toBe(yamlText(undefined));
    expect(() => fastYamlText({ f: () => 1 })).toThrow(/unacceptable kind of an object to dump/);
  });
});
