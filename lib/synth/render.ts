/**
 * Turns one environment's cdk8s App into the files of `dist/<env>/`: one `NNNN-<chart>.k8s.yaml`
 * per chart in apply order, and a `kustomization.yaml` that lists them in that order.
 */
import { Chart, type App } from 'cdk8s';
import { stringify } from 'yaml';
import { ProblemsError, type Problem } from '../config/problems';

/** A rendered Kubernetes object, as plain JSON. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

export interface RenderedFile {
  readonly name: string;
  readonly content: string;
}

export interface RenderedEnvironment {
  readonly name: string;
  /** Paths relative to dist/<env>/. */
  readonly files: readonly RenderedFile[];
  /** Every object of the kustomization, in apply order. */
  readonly objects: readonly KubeObject[];
  /** Objects rendered for manual use (dist/<env>/manual/), never applied by a sync. */
  readonly manualObjects: readonly KubeObject[];
}

/**
 * A chart of objects that are applied on purpose only (a restore Job, a load test): rendered as
 * `manual/<chart>.k8s.yaml`, left out of the kustomization so no sync applies it.
 */
export class ManualChart extends Chart {
  // cdk8s answers `instanceof` for any chart with any Chart subclass, so the mark is explicit.
  readonly manualChart = true;

  /** Whether a chart is one of these. */
  static isManual(chart: Chart): boolean {
    return (chart as unknown as { manualChart?: boolean }).manualChart === true;
  }
}

/** Folder of dist/<env>/ that holds the manual charts. */
export const MANUAL_DIR = 'manual';

/**
 * YAML documents as the output uses them everywhere: block style, no line folding, and strings
 * quoted wherever a YAML 1.1 reader (kubectl's) would take them for something else: `on`, `yes`,
 * dates such as `2026-11-22` (a date in an annotation would fail to apply).
 */
export function toYaml(objects: readonly unknown[]): string {
  return objects.map((o) => stringify(o, YAML_OPTIONS)).join('---\n');
}

const YAML_OPTIONS = { version: '1.1', lineWidth: 0, aliasDuplicateObjects: false } as const;

/** Renders the App's charts in apply order (the order of their dependencies). */
export function renderEnvironment(name: string, app: App, file: string): RenderedEnvironment {
  const files: RenderedFile[] = [];
  const manualFiles: RenderedFile[] = [];
  const objects: KubeObject[] = [];
  const manualObjects: KubeObject[] = [];
  // App.charts is topologically sorted by chart dependencies; the charts of an environment are
  // chained in the order they are declared, so this is the apply order.
  let index = 0;
  for (const chart of app.charts) {
    const chartObjects = chart.toJson() as KubeObject[];
    if (chartObjects.length === 0) continue;
    if (ManualChart.isManual(chart)) {
      manualFiles.push({ name: `${MANUAL_DIR}/${chart.node.id}.k8s.yaml`, content: toYaml(chartObjects) });
      manualObjects.push(...chartObjects);
      continue;
    }
    files.push({ name: `${String(index++).padStart(4, '0')}-${chart.node.id}.k8s.yaml`, content: toYaml(chartObjects) });
    objects.push(...chartObjects);
  }
  checkUnique([...objects, ...manualObjects], file);
  files.push({ name: 'kustomization.yaml', content: kustomization(files.map((f) => f.name)) });
  return { name, files: [...files, ...manualFiles], objects, manualObjects };
}

/** kubectl applies a kustomization in the order it lists resources when sortOptions says fifo. */
export function kustomization(resources: readonly string[]): string {
  return toYaml([{ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', sortOptions: { order: 'fifo' }, resources }]);
}

/** Two objects with the same identity would overwrite each other when applied. */
function checkUnique(objects: readonly KubeObject[], file: string): void {
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const o of objects) {
    const id = objectId(o);
    if (seen.has(id)) problems.push({ file, path: '', message: `renders ${id} twice, expected each object once` });
    seen.add(id);
  }
  if (problems.length > 0) throw new ProblemsError(problems);
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
export function objectId(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;
}
