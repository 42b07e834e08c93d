/**
 * Reading workloads out of rendered objects, as the API server does: which kinds own pods, where
 * their pod template is, and how many pods keep a Deployment or StatefulSet running. The diff's
 * risk flags, the readiness criteria, the secret references and the network picture all ask these
 * questions of the same objects, so they ask them here.
 */
import { isRecord } from '../../model/json';
import { type KubeObject } from '../../contract';

type Json = Record<string, any>;

/** The kinds whose objects run pods. */
export const POD_OWNERS: readonly string[] = Object.freeze(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Pod']);

/** The kinds that keep pods running (not to completion): what probes, rollouts, budgets and spread are judged on. */
export const LONG_RUNNING: readonly string[] = Object.freeze(['Deployment', 'StatefulSet', 'DaemonSet']);

/** The pod template (metadata and spec) of a pod-owning object; a Pod is its own template. */
export function podTemplateOf(o: KubeObject | undefined): { metadata?: Json; spec?: Json } | undefined {
  if (!o || !POD_OWNERS.includes(o.kind)) return undefined;
  const spec = isRecord(o.spec) ? (o.spec as Json) : undefined;
  if (o.kind === 'Pod') return { metadata: o.metadata as Json, ...(spec ? { spec } : {}) };
  const jobSpec = isRecord(spec?.jobTemplate) && isRecord(spec.jobTemplate.spec) ? spec.jobTemplate.spec : undefined;
  const template = o.kind === 'CronJob' ? jobSpec?.template : spec?.template;
  return isRecord(template) ? (template as { metadata?: Json; spec?: Json }) : undefined;
}

/** The pod spec of a pod-owning object, or undefined for other kinds (and templates without one). */
export function podSpecOf(o: KubeObject | undefined): Json | undefined {
  const spec = podTemplateOf(o)?.spec;
  return isRecord(spec) ? spec : undefined;
}

/** How many pods keep a workload running, and what says so. */
export interface Scale {
  readonly count: number;
  readonly source: 'replicas' | 'autoscaler' | 'default';
}

/** An autoscaler's minimum: `spec.minReplicas`, which the API defaults to 1. */
export function minReplicas(hpa: KubeObject): number {
  const min = isRecord(hpa.spec) ? hpa.spec.minReplicas : undefined;
  return typeof min === 'number' ? min : 1;
}

/** The HorizontalPodAutoscaler among `objects` that scales `workload` (same namespace, kind and name). */
export function autoscalerOf(workload: KubeObject, objects: readonly KubeObject[]): KubeObject | undefined {
  return objects.find((o) => {
    if (o.kind !== 'HorizontalPodAutoscaler' || o.metadata.namespace !== workload.metadata.namespace) return false;
    const target = isRecord(o.spec) && isRecord(o.spec.scaleTargetRef) ? o.spec.scaleTargetRef : {};
    return target.kind === workload.kind && target.name === workload.metadata.name;
  });
}

/** What keeps a Deployment or StatefulSet running: its replicas, else the minimum of an HPA targeting it, else 1. */
export function scaleOf(workload: KubeObject, objects: readonly KubeObject[]): Scale {
  const replicas = isRecord(workload.spec) ? workload.spec.replicas : undefined;
  if (typeof replicas === 'number') return { count: replicas, source: 'replicas' };
  const hpa = autoscalerOf(workload, objects);
  if (hpa) return { count: minReplicas(hpa), source: 'autoscaler' };
  return { count: 1, source: 'default' };
}
