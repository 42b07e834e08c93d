/**
 * Monitoring: Prometheus with the alert rules, Alertmanager and its receivers, Grafana with the
 * data sources and dashboards, kube-state-metrics, and node-exporter on every node. Prometheus
 * scrapes what the components declare on `metrics` (each where it is built), the nodes' kubelets,
 * cert-manager and whatever serves the public host; it sends its alerts to Alertmanager.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentFile } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import { serviceHost } from '../../kit/pod-workload';
import type { ScrapeTargets } from '../../kit/scrape';
import type { Secrets } from '../../kit/secrets';
import type { EdgeServer } from '../backend';
import { LOKI } from '../names';
import { Alertmanager } from './alertmanager';
import { Grafana } from './grafana';
import { KubeStateMetrics } from './kube-state-metrics';
import { NodeExporter } from './node-exporter';
import { Prometheus } from './prometheus';

export interface MonitoringProps {
  /** Where each part is applied: the monitoring namespace's workloads, and the node agents. */
  readonly charts: { readonly monitoring: Chart; readonly nodeAgents: Chart };
  /** The monitoring namespace. */
  readonly namespace: string;
  /** The namespace of the node agents (host access). */
  readonly nodeAgentsNamespace: string;
  /** The app namespace, whose workloads the alerts and dashboards watch. */
  readonly appNamespace: string;
  /** The environment's name: the `environment` label of every series and alert. */
  readonly environment: string;
  /** Where its workloads declare their flows. */
  readonly network: NetworkPolicies;
  /** Where its workloads declare the secrets they read (receivers, Grafana's admin). */
  readonly secrets: Secrets;
  /** What Prometheus scrapes, as the components declared it. */
  readonly metrics: ScrapeTargets;
  /** Where the nodes and the API server are: kubelets, node-exporter, discovery. */
  readonly cluster: ClusterAddresses;
  /** The environment's monitoring section. */
  readonly spec: EnvironmentFile['monitoring'];
  /** The public host, and what serves it: scraped, its 5xx share alerted on and graphed. */
  readonly host: string;
  readonly edge: readonly EdgeServer[];
  /** Which backup copy the restore drill proves, for its alerts. */
  readonly restoreDrillCopy: string;
}

export class Monitoring extends Construct {
  readonly prometheus: Prometheus;
  readonly alertmanager: Alertmanager;
  /** Grafana, which also queries the logs (the Logging component admits it). */
  readonly grafana: Grafana;
  /**
   * Where Grafana queries the logs: Loki's Service in this namespace. Grafana's data sources are
   * hashed into its pods when it is built, before Logging exists, so the address is fixed here and
   * the Logging component refuses to serve Loki anywhere else.
   */
  readonly logsUrl: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const spec = props.spec;
    const chart = props.charts.monitoring;
    const common = { namespace: props.namespace, network: props.network, metrics: props.metrics };
    this.logsUrl = `http://${serviceHost(LOKI.service, props.namespace)}:${LOKI.port.port}`;
    this.prometheus = new Prometheus(chart, 'prometheus', {
      namespace: props.namespace,
      network: props.network,
      targets: props.metrics,
      cluster: props.cluster,
      appNamespace: props.appNamespace,
      environment: props.environment,
      image: spec.prometheus.image,
      resources: spec.prometheus.resources,
      retention: spec.prometheus.retention,
      storage: spec.prometheus.storage,
      restoreDrillCopy: props.restoreDrillCopy,
      host: props.host,
      edges: props.edge.map((e) => e.kind),
    });
    this.alertmanager = new Alertmanager(chart, 'alertmanager', {
      ...common,
      secrets: props.secrets,
      image: spec.alertmanager.image,
      resources: spec.alertmanager.resources,
      slack: spec.alertmanager.slack,
      email: spec.alertmanager.email,
      // Silences and the notification log are small: 1Gi on Prometheus's class.
      storage: { storageClassName: spec.prometheus.storage.storageClassName, size: '1Gi' },
    });
    this.prometheus.allowTo(this.alertmanager, 'web');
    this.grafana = new Grafana(chart, 'grafana', {
      ...common,
      secrets: props.secrets,
      appNamespace: props.appNamespace,
      image: spec.grafana.image,
      resources: spec.grafana.resources,
      prometheus: this.prometheus,
      logsUrl: this.logsUrl,
      edge: { host: props.host, kinds: props.edge.map((e) => e.kind) },
    });
    new KubeStateMetrics(chart, 'kube-state-metrics', {
      ...common,
      cluster: props.cluster,
      image: spec.kubeStateMetrics.image,
      resources: spec.kubeStateMetrics.resources,
    });
    new NodeExporter(props.charts.nodeAgents, 'node-exporter', {
      ...common,
      namespace: props.nodeAgentsNamespace,
      cluster: props.cluster,
      image: spec.nodeExporter.image,
      resources: spec.nodeExporter.resources,
    });
  }

  /**
   * Grants Prometheus discovery in the namespace of every target the components declared. Call
   * once, after the last component is built.
   */
  finalize(): void {
    this.prometheus.discoverTargets();
  }
}
