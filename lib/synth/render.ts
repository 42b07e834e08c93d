/**
 * Turns one environment's cdk8s App into the files of `dist/<env>/`: one `NNNN-<chart>.k8s.yaml`
 * per chart in apply order, and a `kustomization.yaml` that lists them in that order.
 */
import type { App } from 'cdk8s';
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
  readonly files: readonly RenderedFile[];
  /** Every object of the kustomization, in apply order. */
  readonly objects: readonly KubeObject[];
}

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
  const objects: KubeObject[] = [];
  // App.charts is topologically sorted by chart dependencies; the charts of an environment are
  // chained in the order they are declared, so this is the apply order.
  app.charts.forEach((chart, index) => {
    const chartObjects = chart.toJson() as KubeObject[];
    if (chartObjects.length === 0) return;
    files.push({ name: `${String(index).padStart(4, '0')}-${chart.node.id}.k8s.yaml`, content: toYaml(chartObjects) });
    objects.push(...chartObjects);
  });
  checkUnique(objects, file);
  files.push({ name: 'kustomization.yaml', content: kustomization(files.map((f) => f.name)) });
  return { name, files, objects };
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
