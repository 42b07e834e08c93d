/**
 * Grafana: Deployment `grafana` with the Prometheus and Loki data sources (fixed uids) and the
 * three sign-off dashboards (Request Rate, Latency, Error Rate) provisioned from ConfigMaps, and the
 * admin account from a sealed Secret. No internet egress: update checks and analytics are off.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { yamlText } from '../../kit/yaml';
import type { Resources } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { httpServerProbes, resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import type { Secrets } from '../../kit/secrets';
import { dashboards, grafanaDashboardProvider, grafanaDatasources } from './dashboards';
import { GRAFANA, GRAFANA_DASHBOARDS_DIR, SCRAPE_JOBS } from '../names';
import { GENERATED } from '../../model/credentials';
import type { ScrapeTargets } from '../../kit/scrape';
import { type EdgeScrapeKind } from '../../contract';

export interface GrafanaProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly appNamespace: string;
  readonly image: string;
  readonly resources: Resources;
  /** Prometheus, which Grafana queries. */
  readonly prometheus: PodWorkload;
  /** The URL of the log store Grafana queries; whoever serves it opens the flow from Grafana. */
  readonly logsUrl: string;
  /** The public host and what serves it, for the edge panel of the Error Rate dashboard. @default no edge panel */
  readonly edge?: { readonly host: string; readonly kinds: readonly EdgeScrapeKind[] };
}

/** Secret holding the admin account. */
export const GRAFANA_ADMIN_SECRET = 'grafana-admin';
/** The `grafana` user of the Grafana images. */
const USER = 472;
const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

export class Grafana extends PodWorkload {
  constructor(scope: Construct, id: string, props: GrafanaProps) {
    const datasources = yamlText(grafanaDatasources({ prometheusUrl: props.prometheus.url('web'), lokiUrl: props.logsUrl }));
    const provider = yamlText(grafanaDashboardProvider());
    const boards = Object.fromEntries(Object.entries(dashboards({ namespace: props.appNamespace, ...(props.edge ? { edge: props.edge } : {}) })).map(([file, json]) => [file, `${JSON.stringify(json, null, 2)}\n`]));
    const admin = props.secrets.require({ namespace: props.namespace, name: GRAFANA_ADMIN_SECRET, keys: { 'admin-user': GENERATED, 'admin-password': GENERATED }, consumer: 'Deployment grafana' });
    const port = { name: GRAFANA.port.name, containerPort: GRAFANA.port.port };
    super(scope, id, {
      kind: 'Deployment',
      disruptionDecision: 'One replica of a dashboard UI: a PodDisruptionBudget would make its node undrainable; a drain makes the dashboards unavailable for the restart, and alerting does not depend on them.',
      namespace: props.namespace,
      name: GRAFANA.service,
      component: 'dashboards',
      network: props.network,
      user: USER,
      fsGroup: USER,
      servicePorts: [port],
      configMaps: [
        { volume: 'datasources', name: 'grafana-datasources', data: { 'datasources.yaml': datasources } },
        { volume: 'dashboard-provider', name: 'grafana-dashboard-provider', data: { 'dashboards.yaml': provider } },
        { volume: 'dashboards', name: 'grafana-dashboards', data: boards },
      ],
      containers: [
        {
          name: 'grafana',
          image: props.image,
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          env: [
            { name: 'GF_SECURITY_ADMIN_USER', valueFrom: { secretKeyRef: { name: admin, key: 'admin-user' } } },
            { name: 'GF_SECURITY_ADMIN_PASSWORD', valueFrom: { secretKeyRef: { name: admin, key: 'admin-password' } } },
            { name: 'GF_PATHS_PROVISIONING', value: '/etc/grafana/provisioning' },
            // Logs to stdout only: the root filesystem is read-only, and kubectl logs and Loki read stdout.
            { name: 'GF_LOG_MODE', value: 'console' },
            { name: 'GF_ANALYTICS_REPORTING_ENABLED', value: 'false' },
            { name: 'GF_ANALYTICS_CHECK_FOR_UPDATES', value: 'false' },
            { name: 'GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES', value: 'false' },
            { name: 'GF_PLUGINS_PREINSTALL_DISABLED', value: 'true' },
            { name: 'GF_USERS_ALLOW_SIGN_UP', value: 'false' },
            { name: 'GF_AUTH_ANONYMOUS_ENABLED', value: 'false' },
          ],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/api/health', port.name, { startupSeconds: 120, livenessFailures: 6 }),
          volumeMounts: [
            { name: 'data', mountPath: '/var/lib/grafana' },
            ...scratchMounts(SCRATCH),
            { name: 'datasources', mountPath: '/etc/grafana/provisioning/datasources', readOnly: true },
            { name: 'dashboard-provider', mountPath: '/etc/grafana/provisioning/dashboards', readOnly: true },
            { name: 'dashboards', mountPath: GRAFANA_DASHBOARDS_DIR, readOnly: true },
          ],
        },
      ],
      volumes: [
        // Everything Grafana shows is provisioned from the ConfigMaps: its database can start empty.
        { name: 'data', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Gi') } },
        ...scratchVolumes(SCRATCH),
      ],
    });
    props.metrics.scrape({ job: SCRAPE_JOBS.grafana, workload: this, port: GRAFANA.port.name });
    this.allowTo(props.prometheus, 'web');
  }
}
