/**
 * The Kubernetes recommended labels on every object and every pod template of an environment:
 * `app.kubernetes.io/name`, `instance`, `version`, `component`, `part-of` and `managed-by`. The
 * constructs set what they know (a workload's name, component and image version); this pass, run
 * last, adds what each object still lacks. It never touches a selector: selectors keep the stable
 * keys of `./labels`, so a new version or instance never makes an immutable selector differ.
 */
import { ApiObject, type App } from 'cdk8s';
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
 * come from the charts. Pod templates get theirs from their owner when the object is rendered
 * (`withPodTemplateLabels`): reading a template here would serialise its owner twice.
 */
export function applyRecommendedLabels(app: App, defaults: { readonly instance: string; readonly version?: string }): void {
  for (const chart of app.charts) {
    for (const obj of chart.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
      const wanted: Record<string, string | undefined> = {
        'app.kubernetes.io/name': obj.name,
        'app.kubernetes.io/instance': defaults.instance,
        'app.kubernetes.io/version': defaults.version,
        'app.kubernetes.io/component': chart.node.id,
        'app.kubernetes.io/part-of': PART_OF,
        'app.kubernetes.io/managed-by': 'cdk8s',
      };
      for (const key of RECOMMENDED_LABELS) {
        const value = wanted[key];
        if (value !== undefined && obj.metadata.getLabel(key) === undefined) obj.metadata.addLabel(key, value);
      }
    }
  }
}

/**
 * The rendered object with each pod template (or the Secret template of a SealedSecret) carrying
 * every recommended label of its owner that it lacks; the template's own labels win, keys in order
 * as every other label map is written. Objects that own no template are returned as they are.
 */
export function withPodTemplateLabels<T extends { kind: string; metadata: { labels?: Record<string, string> } }>(o: T): T {
  if (!TEMPLATE_KINDS.has(o.kind)) return o;
  const owner = o.metadata.labels ?? {};
  const final: Record<string, string> = {};
  for (const key of RECOMMENDED_LABELS) if (owner[key] !== undefined) final[key] = owner[key];
  for (const path of TEMPLATE_PATHS) {
    const template = at(o, path) as { metadata?: { labels?: Record<string, string> } } | undefined;
    if (!template || typeof template !== 'object') continue;
    if (!template.metadata) {
      template.metadata = { labels: { ...final } };
      continue;
    }
    const merged: Record<string, string> = { ...final, ...template.metadata.labels };
    template.metadata.labels = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]!]));
  }
  return o;
}
