/**
 * kube-state-metrics: Deployment `kube-state-metrics`, the source of the alert rules' facts about
 * pods (CrashLoopBackOff), container limits, CronJobs (backup failing or stale) and volumes. It
 * reads, cluster-wide, only the kinds it is told to export, and its ClusterRole grants exactly those.
 */
import type { Construct } from 'constructs';
import type { Resources } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import { httpServerProbes, resourceRequirements } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import { DRILL_COPY_LABEL, KUBE_STATE_METRICS, SCRAPE_JOBS } from '../names';
import type { ScrapeTargets } from '../../kit/scrape';

export interface KubeStateMetricsProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly cluster: ClusterAddresses;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly image: string;
  readonly resources: Resources;
}

/** The kinds exported: the `--resources` flag and the ClusterRole, from one list. */
const EXPORTED: ReadonlyArray<{ flag: string; group: string; resource: string }> = [
  { flag: 'cronjobs', group: 'batch', resource: 'cronjobs' },
  { flag: 'daemonsets', group: 'apps', resource: 'daemonsets' },
  { flag: 'deployments', group: 'apps', resource: 'deployments' },
  { flag: 'horizontalpodautoscalers', group: 'autoscaling', resource: 'horizontalpodautoscalers' },
  { flag: 'jobs', group: 'batch', resource: 'jobs' },
  { flag: 'namespaces', group: '', resource: 'namespaces' },
  { flag: 'nodes', group: '', resource: 'nodes' },
  { flag: 'persistentvolumeclaims', group: '', resource: 'persistentvolumeclaims' },
  { flag: 'persistentvolumes', group: '', resource: 'persistentvolumes' },
  { flag: 'pods', group: '', resource: 'pods' },
  { flag: 'statefulsets', group: 'apps', resource: 'statefulsets' },
];

export class KubeStateMetrics extends PodWorkload {
  constructor(scope: Construct, id: string, props: KubeStateMetricsProps) {
    const metrics = { name: KUBE_STATE_METRICS.port.name, containerPort: KUBE_STATE_METRICS.port.port };
    const telemetry = { name: 'telemetry', containerPort: 8081 };
    super(scope, id, {
      kind: 'Deployment',
      disruptionDecision: 'One replica: a PodDisruptionBudget would make its node undrainable; a drain pauses its series for the restart, shorter than the for: of every alert reading them (KubeStateMetricsAbsent fires if it does not return).',
      namespace: props.namespace,
      name: KUBE_STATE_METRICS.service,
      component: 'metrics',
      network: props.network,
      user: 65534,
      servicePorts: [metrics],
      ports: [metrics, telemetry],
      callsApi: true,
      containers: [
        {
          name: 'kube-state-metrics',
          image: props.image,
          args: [`--port=${metrics.containerPort}`, `--telemetry-port=${telemetry.containerPort}`, `--resources=${EXPORTED.map((e) => e.flag).join(',')}`,
            // Which copy the restore drill proves, as a series: kube_cronjob_labels{label_gravl_app_drill_copy}.
            `--metric-labels-allowlist=cronjobs=[${DRILL_COPY_LABEL}]`,
          ],
          ports: [
            { name: metrics.name, containerPort: metrics.containerPort, protocol: 'TCP' },
            { name: telemetry.name, containerPort: telemetry.containerPort, protocol: 'TCP' },
          ],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/livez', metrics.name, { startupSeconds: 60, readinessPath: '/readyz', readinessPort: telemetry.name }),
        },
      ],
    });
    const groups = [...new Set(EXPORTED.map((e) => e.group))];
    this.grantClusterRole(
      'gravl-kube-state-metrics',
      groups.map((group) => ({ apiGroups: [group], resources: EXPORTED.filter((e) => e.group === group).map((e) => e.resource), verbs: ['list', 'watch'] })),
    );
    this.allowToApiServer(props.cluster);
    // Its series describe other objects: their namespace and pod, not its own.
    props.metrics.scrape({ job: SCRAPE_JOBS.kubeStateMetrics, workload: this, port: KUBE_STATE_METRICS.port.name, targetLabels: false });
  }
}
