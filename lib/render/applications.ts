/**
 * Argo CD: per environment, the Application that syncs dist/<env>/ (a kustomization, so only what
 * the kustomization lists: never the manual/ objects) wave by wave, the AppProject it sits in, and
 * the root Application (app of apps) that syncs both from the mainline, so that changing an
 * Application or a project is itself a reviewed commit. Rendered to dist/argocd/.
 *
 * The project is derived from the rendered objects: it permits this repository only, the
 * namespaces the output puts objects in, and exactly the kinds the output holds (cluster-scoped
 * and namespaced), so a kind or a namespace the output gains shows in the diff of the project.
 */
import { Application, AppProject, type ApplicationSpecIgnoreDifferences } from '../../imports/argoproj.io';
import { type EnvironmentFile } from '../model/schema';
import { GITOPS_DEFAULTS } from '../model/defaults';
import { PART_OF } from '../kit/labels';
import { ARGOCD_DIR, type KubeObject } from '../contract';

/** The API server of the cluster Argo CD runs in: where Applications and projects are created. */
const IN_CLUSTER = 'https://kubernetes.default.svc';

/** Marks a root Application: it syncs Applications, not workloads. */
export const ROOT_SUFFIX = '-root';

/** An environment as the Argo CD objects need it: its name, its file, and its rendered objects. */
export interface GitopsInput {
  readonly name: string;
  readonly spec: EnvironmentFile;
  /** What the environment's kustomization applies. */
  readonly objects: readonly KubeObject[];
}

/** What an environment's gitops section resolves to. */
export interface GitopsSettings {
  readonly repoURL: string;
  /** The ref the environment's Application syncs dist/<env>/ from. */
  readonly targetRevision: string;
  /** The branch reviewed changes land on: the root Application syncs dist/argocd/ from it. */
  readonly mainline: string;
  /** The environment whose gate a revision passes before it is promoted here, if any. */
  readonly promotedFrom?: string;
  readonly destinationServer: string;
  readonly project: string;
  readonly argocdNamespace: string;
  readonly automated: boolean;
  readonly prune: boolean;
}

/** The file names of an environment's Argo CD objects below dist/. */
export function argocdFiles(environment: string): { application: string; root: string } {
  return { application: `${ARGOCD_DIR}/gravl-${environment}.yaml`, root: `${ARGOCD_DIR}/gravl-${environment}${ROOT_SUFFIX}.yaml` };
}

/** An environment's gitops section with its defaults applied. */
export function gitopsSettings(environment: string, spec: EnvironmentFile): GitopsSettings {
  const g = spec.gitops;
  return {
    repoURL: g.repoURL,
    targetRevision: g.targetRevision ?? GITOPS_DEFAULTS.targetRevision,
    mainline: g.mainline ?? GITOPS_DEFAULTS.mainline,
    ...(g.promotedFrom !== undefined ? { promotedFrom: g.promotedFrom } : {}),
    destinationServer: g.destinationServer ?? GITOPS_DEFAULTS.destinationServer,
    project: g.project ?? `gravl-${environment}`,
    argocdNamespace: g.argocdNamespace ?? GITOPS_DEFAULTS.argocdNamespace,
    automated: g.automated ?? GITOPS_DEFAULTS.automated,
    prune: g.prune ?? GITOPS_DEFAULTS.prune,
  };
}

const LABELS = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };

/** The API group of an object (`""` for the core group), as Argo CD's resource lists name it. */
export function groupOf(o: Pick<KubeObject, 'apiVersion'>): string {
  return o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
}

/** Group and kind, sorted and unique. */
function groupKinds(objects: readonly KubeObject[]): { group: string; kind: string }[] {
  const keys = [...new Set(objects.map((o) => `${groupOf(o)}/${o.kind}`))].sort();
  return keys.map((k) => ({ group: k.slice(0, k.lastIndexOf('/')), kind: k.slice(k.lastIndexOf('/') + 1) }));
}

/**
 * The AppProject of an environment, derived from its objects: a rendered object without a
 * namespace is cluster-scoped (every namespaced object is rendered with its namespace).
 */
export function appProject(name: string, settings: GitopsSettings, objects: readonly KubeObject[], destinationNamespace: string, description: string): KubeObject {
  const namespaced = objects.filter((o) => o.metadata.namespace !== undefined);
  const clusterScoped = objects.filter((o) => o.metadata.namespace === undefined);
  const namespaces = [...new Set([destinationNamespace, ...namespaced.map((o) => o.metadata.namespace!)])].sort();
  return AppProject.manifest({
    metadata: { name, namespace: settings.argocdNamespace, labels: LABELS },
    spec: {
      description,
      sourceRepos: [settings.repoURL],
      destinations: namespaces.map((namespace) => ({ server: settings.destinationServer, namespace })),
      // An empty list permits no cluster-scoped kind at all; an absent one would too, but says less.
      clusterResourceWhitelist: groupKinds(clusterScoped),
      namespaceResourceWhitelist: groupKinds(namespaced),
    },
  }) as KubeObject;
}

/**
 * Fields that controllers write after the sync, which self-heal must not fight: the replica count
 * of a workload an HPA scales, and the defaults the External Secrets webhook fills into each
 * remoteRef. Derived from the objects, so an HPA or ExternalSecret added later is covered.
 */
export function controllerOwnedFields(objects: readonly KubeObject[]): ApplicationSpecIgnoreDifferences[] {
  const ignored: ApplicationSpecIgnoreDifferences[] = [];
  for (const hpa of objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')) {
    const target = ((hpa.spec ?? {}) as { scaleTargetRef?: { apiVersion?: string; kind?: string; name?: string } }).scaleTargetRef ?? {};
    if (!target.kind || !target.name) continue;
    ignored.push({ group: groupOf({ apiVersion: target.apiVersion ?? 'v1' }), kind: target.kind, namespace: hpa.metadata.namespace!, name: target.name, jsonPointers: ['/spec/replicas'] });
  }
  if (objects.some((o) => o.apiVersion.startsWith('external-secrets.io/') && o.kind === 'ExternalSecret')) {
    ignored.push({
      group: 'external-secrets.io',
      kind: 'ExternalSecret',
      jqPathExpressions: ['.spec.data[]?.remoteRef.conversionStrategy', '.spec.data[]?.remoteRef.decodingStrategy', '.spec.data[]?.remoteRef.metadataPolicy'],
    });
  }
  return ignored;
}

const RETRY = { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } };

/** The Application of an environment: syncs dist/<env> from its targetRevision into its cluster. */
export function environmentApplication(environment: string, namespace: string, settings: GitopsSettings, objects: readonly KubeObject[]): KubeObject {
  const ignoreDifferences = controllerOwnedFields(objects);
  return Application.manifest({
    metadata: {
      name: `gravl-${environment}`,
      namespace: settings.argocdNamespace,
      labels: LABELS,
      // Deleting the Application deletes what it synced, in reverse wave order.
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: settings.project,
      source: { repoUrl: settings.repoURL, targetRevision: settings.targetRevision, path: `dist/${environment}` },
      destination: { server: settings.destinationServer, namespace },
      ...(ignoreDifferences.length ? { ignoreDifferences } : {}),
      syncPolicy: {
        // prune off: what git no longer holds shows as "requires pruning" until a person syncs with prune.
        ...(settings.automated ? { automated: { prune: settings.prune, selfHeal: true } } : {}),
        // Namespaces come from the output itself (with their Pod Security labels); pruning runs
        // after everything else is healthy; apply on the server so large ConfigMaps fit; a sync
        // leaves the fields above to their controllers.
        syncOptions: ['CreateNamespace=false', 'PruneLast=true', 'ServerSideApply=true', ...(ignoreDifferences.length ? ['RespectIgnoreDifferences=true'] : [])],
        retry: RETRY,
      },
    },
  }) as KubeObject;
}

/**
 * The root Application of an environment's Argo CD (app of apps): syncs, from the mainline, the
 * environment's Application and project and itself, and nothing else of dist/argocd/.
 */
export function rootApplication(environment: string, settings: GitopsSettings): KubeObject {
  const files = argocdFiles(environment);
  const include = [files.application, files.root].map((f) => f.slice(ARGOCD_DIR.length + 1));
  return Application.manifest({
    metadata: { name: `gravl-${environment}${ROOT_SUFFIX}`, namespace: settings.argocdNamespace, labels: LABELS },
    spec: {
      project: `gravl-${environment}${ROOT_SUFFIX}`,
      source: { repoUrl: settings.repoURL, targetRevision: settings.mainline, path: `dist/${ARGOCD_DIR}`, directory: { recurse: false, include: `{${include.join(',')}}` } },
      destination: { server: IN_CLUSTER, namespace: settings.argocdNamespace },
      // Never pruned by a sync: the environment's Application carries the resources finalizer, so
      // a commit that drops or renames its file would cascade-delete every workload it deployed.
      // Removing an environment's Application is a person's sync with prune (synth --remove says so).
      syncPolicy: { automated: { prune: false, selfHeal: true }, syncOptions: ['CreateNamespace=false'], retry: RETRY },
    },
  }) as KubeObject;
}

/** The files of dist/argocd/ for every environment: `gravl-<env>.yaml` and `gravl-<env>-root.yaml`. */
export function argocdOutput(envs: readonly GitopsInput[]): { name: string; objects: KubeObject[] }[] {
  const files: { name: string; objects: KubeObject[] }[] = [];
  for (const env of envs) {
    const s = gitopsSettings(env.name, env.spec);
    const application = environmentApplication(env.name, env.spec.namespace, s, env.objects);
    const project = appProject(s.project, s, env.objects, env.spec.namespace, `Gravl ${env.name}: exactly what dist/${env.name} holds`);
    const root = rootApplication(env.name, s);
    const names = argocdFiles(env.name);
    const appObjects = [project, application];
    const rootProject = appProject(`gravl-${env.name}${ROOT_SUFFIX}`, { ...s, destinationServer: IN_CLUSTER }, [...appObjects, root], s.argocdNamespace, `Gravl ${env.name}: the Applications and projects of dist/argocd`);
    files.push({ name: names.application, objects: appObjects }, { name: names.root, objects: [rootProject, root] });
  }
  return files;
}
