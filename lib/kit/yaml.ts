/**
 * YAML as the generator writes it everywhere (manifests, and the configuration files inside
 * ConfigMaps): block style, no line folding, no anchors, and strings quoted wherever a YAML 1.1
 * reader (kubectl's) would take them for something else: `on`, `yes`, dates such as `2026-11-22`
 * (a date in an annotation would fail to apply). js-yaml writes it several times faster than the
 * `yaml` package, which the repository uses for reading (it keeps positions for error messages).
 */
import { dump } from 'js-yaml';

const OPTIONS = { lineWidth: -1, noRefs: true, noCompatMode: false } as const;

/** One YAML document. */
export function yamlText(value: unknown): string {
  return dump(value, OPTIONS);
}
