/**
 * Run-to-completion workloads: a Job, or a CronJob that starts one on a schedule. Like every
 * workload they have their own ServiceAccount (no token) and join the NetworkPolicies, and their
 * pods meet the restricted bar; they never retry forever or run without a deadline.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { workloadLabels } from './labels';
import { ownServiceAccount, podTemplate, type PodOwnerProps } from './pod';
import { Workload } from './workload';
import { DISRUPTION_ANNOTATION } from '../contract';

/** A Job or CronJob: `name` names the Job or CronJob, its ServiceAccount and its NetworkPolicy member. */
export interface BatchProps extends PodOwnerProps {
  readonly initContainers?: readonly k8s.Container[];
  /** A cron schedule makes a CronJob; without one, a Job. */
  readonly schedule?: string;
  /** Seconds the Job may run before it is stopped. */
  readonly activeDeadlineSeconds: number;
  /** Retries of a failed pod. */
  readonly backoffLimit: number;
  /** Name of the Job object, when it differs from the workload name (e.g. with a version). @default name */
  readonly jobName?: string;
}

/** Why no run-to-completion workload has a PodDisruptionBudget. */
export const BATCH_DISRUPTION_DECISION =
  'Runs to completion: a PodDisruptionBudget would hold a node drain for a whole run. An evicted run fails, and its retry, its next schedule or its alert (PostgresBackupFailed, PostgresRestoreDrillFailed, a failed sync) takes over.';

export class BatchWorkload extends Workload {
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly job?: k8s.KubeJob;
  readonly cronJob?: k8s.KubeCronJob;

  constructor(scope: Construct, id: string, props: BatchProps) {
    super(scope, id, { name: props.name, namespace: props.namespace, ports: [], network: props.network });
    const labels = workloadLabels(props.name, props.component, props.containers[0]?.image);
    this.serviceAccount = ownServiceAccount(this, { name: props.name, namespace: props.namespace, labels }, false);
    const jobSpec: k8s.JobSpec = {
      backoffLimit: props.backoffLimit,
      activeDeadlineSeconds: props.activeDeadlineSeconds,
      template: podTemplate({
        labels,
        serviceAccount: this.serviceAccount,
        callsApi: false,
        user: props.user,
        ...(props.fsGroup !== undefined ? { fsGroup: props.fsGroup } : {}),
        containers: props.containers,
        ...(props.initContainers ? { initContainers: props.initContainers } : {}),
        ...(props.volumes ? { volumes: props.volumes } : {}),
        podSpec: { restartPolicy: 'Never' },
      }),
    };
    const metadata = { name: props.jobName ?? props.name, namespace: props.namespace, labels, annotations: { [DISRUPTION_ANNOTATION]: BATCH_DISRUPTION_DECISION } };
    if (props.schedule) {
      this.cronJob = new k8s.KubeCronJob(this, 'cronjob', {
        metadata,
        spec: {
          schedule: props.schedule,
          timeZone: 'Etc/UTC',
          // A run that is still going (or a missed one) never overlaps the next.
          concurrencyPolicy: 'Forbid',
          startingDeadlineSeconds: 600,
          successfulJobsHistoryLimit: 3,
          failedJobsHistoryLimit: 3,
          jobTemplate: { metadata: { labels }, spec: jobSpec },
        },
      });
    } else {
      this.job = new k8s.KubeJob(this, 'job', { metadata, spec: jobSpec });
    }
  }
}
