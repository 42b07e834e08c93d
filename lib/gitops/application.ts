/**
 * The Argo CD Application of an environment: it syncs dist/<env>/ (a kustomization, so only what
 * the kustomization lists: never the manual/ objects) into the environment's cluster, wave by wave
 * (every object carries its chart's `argocd.argoproj.io/sync-wave`), pruning what git no longer
 * holds. Rendered to dist/argocd/gravl-<env>.yaml; pointing one root Application at dist/argocd/
 * gives app-of-apps.
 */
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

export function argoApplication(props: ApplicationProps): KubeObject {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name: `gravl-${props.environment}`,
      namespace: props.argocdNamespace,
      labels: { 'app.kubernetes.io/part-of': 'gravl', 'app.kubernetes.io/managed-by': 'cdk8s' },
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
