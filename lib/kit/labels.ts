/**
 * Labels. Selectors use only keys that never change for the life of a workload (name and part-of):
 * a Deployment's selector is immutable, so a version or environment in it would make the next
 * release fail to apply.
 */
import { parseImage } from '../model/formats';

export const PART_OF = 'gravl';

/** On the app namespace: the environment's name. */
export const ENVIRONMENT_LABEL = 'gravl.app/environment';
/** On the app namespace: "true" where the production bar applies. */
export const PRODUCTION_LABEL = 'gravl.app/production';
/** On the app namespace: the StorageClasses the cluster has, comma-separated (readiness checks every claim against them). */
export const STORAGE_CLASSES_ANNOTATION = 'gravl.app/storage-classes';

/** The labels a Service, a NetworkPolicy or a PodDisruptionBudget selects a workload's pods by. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': PART_OF };
}

/** Selector labels plus the descriptive ones (component, version from the image tag). */
export function workloadLabels(name: string, component: string, image?: string): Record<string, string> {
  const tag = image ? parseImage(image)?.tag : undefined;
  const version = tag && /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/.test(tag) ? tag : undefined;
  return {
    ...selectorLabels(name),
    'app.kubernetes.io/component': component,
    ...(version ? { 'app.kubernetes.io/version': version } : {}),
  };
}

/** The name of the edge: the Gateway and its HTTPRoute, or the legacy Ingress. */
export const EDGE_NAME = 'gravl';

/**
 * On the Gateway (and the legacy Ingress): the pods that carry its traffic, as
 * `<namespace>/<label>=<value>,...`, so that readiness can judge the NetworkPolicies from the
 * output alone.
 */
export const DATA_PLANE_ANNOTATION = 'gravl.app/data-plane';

/** Pods outside the output, by namespace and labels. */
export interface PodsRef {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

/** `ingress-nginx/app.kubernetes.io/name=ingress-nginx`, labels in key order. */
export function formatDataPlane(pods: PodsRef): string {
  return `${pods.namespace}/${Object.keys(pods.podLabels).sort().map((k) => `${k}=${pods.podLabels[k]}`).join(',')}`;
}

/** The inverse of {@link formatDataPlane}; undefined for anything else. */
export function parseDataPlane(text: string | undefined): PodsRef | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(.+)$/.exec(text ?? '');
  if (!match) return undefined;
  const podLabels: Record<string, string> = {};
  for (const pair of match[3]!.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    podLabels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { namespace: match[1]!, podLabels };
}
