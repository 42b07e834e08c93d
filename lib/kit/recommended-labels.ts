/**
 * The Kubernetes recommended labels on every object and every pod template of an environment:
 * `app.kubernetes.io/name`, `instance`, `version`, `component`, `part-of` and `managed-by`. The
 * constructs set what they know (a workload's name, component and image version); this pass, run
 * last, adds what each object still lacks. It never touches a selector: selectors keep the stable
 * keys of `./labels`, so a new version or instance never makes an immutable selector differ.
 */
import { ApiObject, JsonPatch, type App } from 'cdk8s';
import { parseImage } from '../model/formats';
import { RECOMMENDED_LABELS } from '../contract';
import { PART_OF } from './labels';

/** The instance of Gravl an environment runs: its Argo CD Application's name, `gravl-<env>`. */
export function instanceName(environment: string): string {
  return `gravl-${environment}`;
}

/** Gravl's release version, the tag of the backend image; undefined when it has none fit for a label. */
export function releaseVersion(image: string): string | undefined {
  const tag = parseImage(image)?.tag;
  return tag && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
}

/** The kinds that own a template of what they make (pods, or the Secret a SealedSecret unseals). */
const TEMPLATE_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'SealedSecret']);

/** Where a pod template sits in the objects that own one. */
const TEMPLATE_PATHS: readonly (readonly string[])[] = [['spec', 'template'], ['spec', 'jobTemplate', 'spec', 'template']];

function at(value: unknown, path: readonly string[]): unknown {
  let here = value;
  for (const key of path) {
    if (here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[key];
  }
  return here;
}

/**
 * Adds the recommended labels each object lacks: `instance` everywhere, `name` from the object's
 * own name, `component` from its chart, `version` from the release; `part-of` and `managed-by`
 * come from the charts. Each pod template gets every recommended label of its owner it lacks.
 */
export function applyRecommendedLabels(app: App, defaults: { readonly instance: string; readonly version?: string }): void {
  for (const chart of app.charts) {
    for (const obj of chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
      // Serialising an object resolves all of it: only those that own a pod template need it.
      const json = TEMPLATE_KINDS.has(obj.kind) ? (obj.toJson() as Record<string, unknown>) : undefined;
      const labels: Record<string, string | undefined> = Object.fromEntries(RECOMMENDED_LABELS.map((key) => [key, obj.metadata.getLabel(key)]));
      const wanted: Record<string, string | undefined> = {
        'app.kubernetes.io/name': obj.name,
        'app.kubernetes.io/instance': defaults.instance,
        'app.kubernetes.io/version': defaults.version,
        'app.kubernetes.io/component': chart.node.id,
        'app.kubernetes.io/part-of': PART_OF,
        'app.kubernetes.io/managed-by': 'cdk8s',
      };
      const final: Record<string, string> = {};
      for (const key of RECOMMENDED_LABELS) {
        const value = labels[key] ?? wanted[key];
        if (value === undefined) continue;
        final[key] = value;
        if (labels[key] === undefined) obj.metadata.addLabel(key, value);
      }
      for (const path of json ? TEMPLATE_PATHS : []) {
        const template = at(json, path) as { metadata?: { labels?: Record<string, string> } } | undefined;
        if (!template) continue;
        const base = `/${path.join('/')}/metadata`;
        const own = template.metadata?.labels;
        if (!template.metadata) obj.addJsonPatch(JsonPatch.add(base, { labels: { ...final } }));
        else {
          // The template's own labels win; keys in order, as every other label map is written.
          const merged = { ...final, ...own };
          const sorted = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]!]));
          obj.addJsonPatch(own ? JsonPatch.replace(`${base}/labels`, sorted) : JsonPatch.add(`${base}/labels`, sorted));
        }
      }
    }
  }
}
