/**
 * Scheduling: the PriorityClasses the project renders (cluster-scoped, applied with the
 * namespaces) and which workloads take which. The data tier and the backend rank highest, so
 * nothing of Gravl ever preempts them; the node agents come next and are the only ones that
 * preempt (a DaemonSet pod can only run on its own node): they evict Gravl's standard pods, never
 * the data tier or the backend. The other classes never preempt (`preemptionPolicy: Never`): a
 * backend scale-out or a batch job waits for room rather than evicting the cluster's own
 * components (the edge's proxies, cert-manager, Argo CD), which keep the default priority unless
 * the cluster gives them a class of their own. Nothing here is the cluster's default class.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

/** The project's PriorityClasses, highest first. */
export const PRIORITY_CLASSES = {
  critical: {
    name: 'gravl-critical',
    value: 1_000_000,
    preemption: 'Never',
    description: 'The Gravl data tier and the backend: scheduled first and never preempted by anything of Gravl; never preempts itself.',
  },
  nodeAgent: {
    name: 'gravl-node-agent',
    value: 100_000,
    preemption: 'PreemptLowerPriority',
    description: 'Gravl node agents (node-exporter, Alloy): one pod per node that must run there, so it may preempt the standard Gravl pods of a full node (never the data tier or the backend).',
  },
  standard: {
    name: 'gravl-standard',
    value: 10_000,
    preemption: 'Never',
    description: 'Every other Gravl workload (frontend, monitoring, logging, batch jobs): ahead in the queue, never preempting.',
  },
} as const;

/** A PriorityClass of the project, by key. */
export type PriorityClassKey = keyof typeof PRIORITY_CLASSES;

/** The name of a PriorityClass of the project. */
export function priorityClassName(key: PriorityClassKey): string {
  return PRIORITY_CLASSES[key].name;
}

/** Renders every class of {@link PRIORITY_CLASSES}. */
export class PriorityClasses extends Construct {
  constructor(scope: Construct, id: string, props: { readonly labels: Record<string, string> }) {
    super(scope, id);
    for (const [key, c] of Object.entries(PRIORITY_CLASSES)) {
      new k8s.KubePriorityClass(this, key, {
        metadata: { name: c.name, labels: { ...props.labels } },
        value: c.value,
        globalDefault: false,
        preemptionPolicy: c.preemption,
        description: c.description,
      });
    }
  }
}
