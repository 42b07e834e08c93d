/**
 * The Argo CD Application of an environment: it syncs dist/<env>/ (a kustomization, so only what
 * the kustomization lists: never the manual/ objects) into the environment's cluster, wave by wave
 * (every object carries its chart's `argocd.argoproj.io/sync-wave`), pruning what git no longer
 * holds. Rendered to dist/argocd/gravl-<env>.yaml; pointing one root Application at dist/argocd/
 * gives app-of-apps.
 */
import type { EnvironmentFile } from '../config/schema';
import { PART_OF } from '../labels';
import type { KubeObject } from '../synth/render';

export interface ApplicationProps {
  /** The environment's name (dist/<name>/). */
  readonly environment: string;
  /** Where the app's objects go by default. */
  readonly namespace: string;
  readonly repoURL: string;
  readonly targetRevision: string;
  readonly destinationServer: string;
  readonly project: string;
  readonly argocdNamespace: string;
  /** Sync on every commit, with self-heal and pruning. */
  readonly automated: boolean;
}

/** Folder of dist/ that holds the Applications. */
export const ARGOCD_DIR = 'argocd';

/** The Application of an environment file, with the defaults of its `gitops` section, as a file of dist/. */
export function applicationFile(environment: string, spec: EnvironmentFile): { name: string; application: KubeObject } {
  const gitops = spec.gitops;
  const application = argoApplication({
    environment,
    namespace: spec.namespace,
    repoURL: gitops.repoURL,
    targetRevision: gitops.targetRevision ?? 'main',
    destinationServer: gitops.destinationServer ?? 'https://kubernetes.default.svc',
    project: gitops.project ?? 'default',
    argocdNamespace: gitops.argocdNamespace ?? 'argocd',
    automated: gitops.automated ?? true,
  });
  return { name: `${ARGOCD_DIR}/${application.metadata.name}.yaml`, application };
}

export function argoApplication(props: ApplicationProps): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `gravl-${props.environment}`,
      namespace: props.argocdNamespace,
      labels: { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' },
      // Deleting the Application deletes what it synced, in reverse wave order.
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    } as KubeObject['metadata'],
    spec: {
      project: props.project,
      source: { repoURL: props.repoURL, targetRevision: props.targetRevision, path: `dist/${props.environment}` },
      destination: { server: props.destinationServer, namespace: props.namespace },
      syncPolicy: {
        ...(props.automated ? { automated: { prune: true, selfHeal: true } } : {}),
        // Namespaces come from the output itself (with their Pod Security labels); pruning runs
        // after everything else is healthy; apply on the server so large ConfigMaps fit.
        syncOptions: ['CreateNamespace=false', 'PruneLast=true', 'ServerSideApply=true'],
        retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
      },
    },
  };
}
