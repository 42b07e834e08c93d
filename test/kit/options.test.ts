import { describe, expect, it } from 'vitest';
import { checkCodeOptions, isPlainAbsolutePath } from '../../lib/kit/options';

describe('options set in code', () => {
  it('returns when every check holds', () => {
    expect(() => checkCodeOptions('lokiConfig', (check) => check('dataDir', true, '/loki', 'an absolute path'))).not.toThrow();
  });

  it('fails with one Error listing every wrong option, one line each, as generator: field: found X, expected Y', () => {
    const run = () =>
      checkCodeOptions('alertRules', (check) => {
        check('latencyP95Ms', false, -1, 'a positive number');
        check('errorRateThreshold', true, 0.01, 'a ratio');
        check('edges[0]', false, 'haproxy', 'one of envoy, ingress-nginx');
      });
    expect(run).toThrowError(new Error('alertRules: latencyP95Ms: found -1, expected a positive number\nalertRules: edges[0]: found "haproxy", expected one of envoy, ingress-nginx'));
  });

  it('accepts absolute paths of plain segments, and rejects relative, normalisable or glob paths and non-strings', () => {
    for (const ok of ['/loki', '/var/log/pods', '/a.b_c-d']) expect(isPlainAbsolutePath(ok), ok).toBe(true);
    for (const bad of ['loki', '/', '/loki/', '/var/../etc', '/var/./log', '/var/log/*', '/data/$1', '/a b', '//x', 42, undefined]) expect(isPlainAbsolutePath(bad), String(bad)).toBe(false);
  });
});
