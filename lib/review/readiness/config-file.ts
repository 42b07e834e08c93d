/**
 * The configuration files that ConfigMaps carry (prometheus.yml, the alert rules,
 * alertmanager.yml), as the criteria read them: parsed once per ConfigMap object however many
 * criteria look, and by js-yaml's core schema, the reader of what lib/kit/yaml.ts writes (js-yaml's
 * dump quotes every string its own schema would read as something else), some 20 times faster than
 * the `yaml` package on these files, which were most of the time of a synth.
 */
import { CORE_SCHEMA, load } from 'js-yaml';
import type { KubeObject } from '../../contract';

type Json = Record<string, any>;

const parsed = new WeakMap<object, Map<string, unknown>>();

/** The file `file` of a ConfigMap's data, parsed (undefined when the ConfigMap or the file is missing). Read only: criteria share it. */
export function configMapFile(configMap: KubeObject | undefined, file: string): Json | undefined {
  const data = configMap?.data as Record<string, unknown> | undefined;
  const text = data?.[file];
  if (data === undefined || typeof text !== 'string') return undefined;
  let files = parsed.get(data);
  if (!files) parsed.set(data, (files = new Map()));
  if (!files.has(file)) files.set(file, load(text, { schema: CORE_SCHEMA }));
  return files.get(file) as Json | undefined;
}
