/**
 * Turns one environment's cdk8s App into the files of `dist/<env>/`: one `NNNN-<chart>.k8s.yaml`
 * per chart in apply order, and a `kustomization.yaml` that lists them in that order.
 */
import { ApiObject, Chart, DependencyGraph, type App } from 'cdk8s';
import { LastWaveChart, ManualChart } from '../kit/charts';
import { withPodTemplateLabels } from '../kit/recommended-labels';
import { yamlText } from '../kit/yaml';
import { ProblemsError, type Problem } from '../model/problems';
import { KUSTOMIZATION_FILE, MANIFEST_SUFFIX, MANUAL_DIR, objectId, SYNC_WAVE_ANNOTATION, type KubeObject, type ManifestFile, type RenderedFile } from '../contract';

export interface RenderedEnvironment {
  readonly name: string;
  /** Paths relative to dist/<env>/. */
  readonly files: readonly RenderedFile[];
  /** The manifests the kustomization applies, in order, and the manual ones. */
  readonly manifests: readonly ManifestFile[];
  readonly manualManifests: readonly ManifestFile[];
  /** Every object of the kustomization, in apply order. */
  readonly objects: readonly KubeObject[];
  /** Objects rendered for manual use (dist/<env>/manual/), never applied by a sync. */
  readonly manualObjects: readonly KubeObject[];
}


/** A copy of an object with its sync wave. */
function inWave(o: KubeObject, wave: number): KubeObject {
  return { ...o, metadata: { ...o.metadata, annotations: { ...o.metadata.annotations, [SYNC_WAVE_ANNOTATION]: String(wave) } } };
}

/** A multi-document YAML file of objects (as lib/kit/yaml.ts writes each, only faster). */
export function toYaml(objects: readonly unknown[]): string {
  return objects.map(yamlText).join('---\n');
}

/**
 * A file whose text is written when it is first read, and once: a render whose reader wants only
 * its objects (a test, promote's comparison, the diff of a render in memory) writes no YAML.
 */
export function lazyFile(name: string, write: () => string): RenderedFile {
  let content: string | undefined;
  return {
    name,
    get content(): string {
      return (content ??= write());
    },
  };
}

/** Renders the App's charts in apply order (the order of their dependencies). */
export function renderEnvironment(name: string, app: App, file: string): RenderedEnvironment {
  const manifests: ManifestFile[] = [];
  const manualManifests: ManifestFile[] = [];
  validateTree(app, file);
  // App.charts is topologically sorted by chart dependencies; the charts of an environment are
  // chained in the order they are declared, so this is the apply order.
  let index = 0;
  // The charts of the last wave share the wave of the first of them; each keeps a file of its own.
  let lastWave: number | undefined;
  for (const chart of app.charts) {
    const chartObjects = chartObjectsOf(chart);
    if (chartObjects.length === 0) continue;
    if (ManualChart.isManual(chart)) manualManifests.push({ name: `${MANUAL_DIR}/${chart.node.id}${MANIFEST_SUFFIX}`, objects: chartObjects });
    else {
      const file = index++;
      if (LastWaveChart.isLastWave(chart)) lastWave ??= file;
      const wave = lastWave ?? file;
      manifests.push({ name: `${String(file).padStart(4, '0')}-${chart.node.id}${MANIFEST_SUFFIX}`, objects: chartObjects.map((o) => inWave(o, wave)) });
    }
  }
  // Manual files have no apply order: they are kept in name order, as a folder lists them.
  manualManifests.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const objects = manifests.flatMap((m) => m.objects);
  const manualObjects = manualManifests.flatMap((m) => m.objects);
  checkUnique([...objects, ...manualObjects], file);
  const files: RenderedFile[] = [
    ...manifests.map((m) => lazyFile(m.name, () => toYaml(m.objects))),
    lazyFile(KUSTOMIZATION_FILE, () => kustomization(manifests.map((m) => m.name))),
    ...manualManifests.map((m) => lazyFile(m.name, () => toYaml(m.objects))),
  ];
  return { name, files, manifests, manualManifests, objects, manualObjects };
}

/**
 * Every construct's validations (Node.addValidation), once for the whole tree. Chart.toJson would
 * run them and resolve the app's dependencies again for every chart; the dependencies here are
 * explicit (charts chained, objects ordered within a chart), so one pass is enough.
 */
function validateTree(app: App, file: string): void {
  const errors = app.node.findAll().flatMap((c) => c.node.validate().map((e) => `${c.node.path}: ${e}`));
  if (errors.length > 0) throw new ProblemsError(errors.map((message) => ({ file, path: '', message })));
}

/** The chart's objects in dependency order, as JSON (what Chart.toJson returns). */
function chartObjectsOf(chart: Chart): KubeObject[] {
  return new DependencyGraph(chart.node)
    .topology()
    .filter((c): c is ApiObject => ApiObject.isApiObject(c) && Chart.of(c) === chart)
    .map((o) => withPodTemplateLabels(o.toJson() as KubeObject));
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
