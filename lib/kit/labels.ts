/**
 * Labels. Selectors use only keys that never change for the life of a workload (name and part-of):
 * a Deployment's selector is immutable, so a version or environment in it would make the next
 * release fail to apply.
 */
import { parseImage } from '../model/formats';

export const PART_OF = 'gravl';

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

