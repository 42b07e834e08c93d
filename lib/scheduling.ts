/**
 * Scheduling: the PriorityClasses the project renders (cluster-scoped, applied with the
 * namespaces) and which workloads take which. On a full cluster the scheduler preempts lower
 * classes to place higher ones: the node agents first (a DaemonSet pod can only run on its own
 * node), then the data tier and the backend, then everything else. Nothing here is the cluster's
 * default class, so pods of other projects keep theirs.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

/** The project's PriorityClasses, highest first. */
export const PRIORITY_CLASSES = {
  nodeAgent: {
    name: 'gravl-node-agent',
    value: 1_000_000,
    description: 'Gravl node agents (node-exporter, Alloy): one pod per node that must run there, so it may preempt anything of Gravl to schedule on a full node.',
  },
  critical: {
    name: 'gravl-critical',
    value: 100_000,
    description: 'The Gravl data tier and the backend: scheduled before, and never preempted by, the rest of Gravl.',
  },
  standard: {
    name: 'gravl-standard',
    value: 10_000,
    description: 'Every other Gravl workload: the frontend, monitoring, logging and batch jobs.',
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
        preemptionPolicy: 'PreemptLowerPriority',
        description: c.description,
      });
    }
  }
}
