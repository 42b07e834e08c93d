/**
 * The configuration files inside ConfigMaps, as the readiness criteria read them: exactly what
 * the generator wrote (lib/kit/yaml.ts), parsed once per ConfigMap however many criteria ask.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { yamlText } from '../../../lib/kit/yaml';
import type { KubeObject } from '../../../lib/contract';
import { configMapFile } from '../../../lib/review/readiness/config-file';
import { renderCommitted } from '../../support/render';

const configMap = (data: Record<string, string>): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data });

describe('configMapFile', () => {
  it('reads back exactly what the generator writes, strings that look like other things included', () => {
    const value = { on: 'on', yes: 'yes', date: '2026-11-22', octal: '0o14', hex: '0x1F', nul: 'null', tilde: '~', number: 3, float: 0.05, flag: true, none: null, list: ['1_000', '.inf', 'a: b'], text: 'line one\nline two\n' };
    expect(configMapFile(configMap({ 'x.yaml': yamlText(value) }), 'x.yaml')).toEqual(value);
  });

  it('reads every configuration file of the rendered environments as the yaml package does', () => {
    for (const env of renderCommitted()) {
      for (const cm of env.objects.filter((o) => o.kind === 'ConfigMap')) {
        for (const [file, text] of Object.entries(cm.data as Record<string, string>)) {
          if (/\.ya?ml$/.test(file)) expect(configMapFile(cm, file), `${env.name} ${cm.metadata.name} ${file}`).toEqual(parse(text));
        }
      }
    }
  });

  it('parses a file once per ConfigMap, and each ConfigMap on its own', () => {
    const a = configMap({ 'x.yaml': 'k: 1\n' });
    const b = configMap({ 'x.yaml': 'k: 1\n' });
    expect(configMapFile(a, 'x.yaml')).toBe(configMapFile(a, 'x.yaml'));
    expect(configMapFile(b, 'x.yaml')).not.toBe(configMapFile(a, 'x.yaml'));
    expect(configMapFile(b, 'x.yaml')).toEqual({ k: 1 });
  });

  it('gives nothing for a missing ConfigMap or file', () => {
    expect(configMapFile(undefined, 'x.yaml')).toBeUndefined();
    expect(configMapFile(configMap({}), 'x.yaml')).toBeUndefined();
  });
});
