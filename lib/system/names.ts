/**
 * Names and ports that the monitoring configuration and the Kubernetes constructs share. The
 * scrape jobs find their targets by these Service and port names, so a construct that renames a
 * Service or a port must do it here, where the configuration follows.
 */

/** The namespace of Prometheus, Alertmanager, Grafana, Loki and kube-state-metrics. */
export const MONITORING_NAMESPACE = 'gravl-monitoring';

/** The namespace of the node agents that need host access (DaemonSets only). */
export const NODE_AGENTS_NAMESPACE = 'gravl-node-agents';

// ---- The app namespace (gravl-staging, gravl-prod: given per environment) ----

/** Service `backend`: the API on `http`; its `metrics` port serves `http_requests_total` and `request_duration_ms_bucket`. */
export const BACKEND = { service: 'backend', httpPort: { name: 'http', port: 3000 }, metricsPort: { name: 'metrics', port: 3001 } } as const;

/**
 * Service `postgres` (headless): the database port and the postgres_exporter sidecar's port, which
 * serves `pg_up`, `pg_stat_activity_count` and `pg_settings_max_connections`.
 */
export const POSTGRES = {
  service: 'postgres',
  port: { name: 'postgres', port: 5432 },
  metricsPort: { name: 'metrics', port: 9187 },
} as const;

/** CronJob `postgres-backup`: the daily database backup. */
export const POSTGRES_BACKUP_CRONJOB = 'postgres-backup';

/** CronJob `postgres-restore-drill`: the weekly restore of the latest backup into a scratch database. */
export const POSTGRES_RESTORE_DRILL_CRONJOB = 'postgres-restore-drill';

/**
 * Label of CronJob `postgres-restore-drill`: which copy it proves, `off-site` or `volume`.
 * kube-state-metrics exports it as `kube_cronjob_labels{label_gravl_app_drill_copy=...}`.
 */
export const DRILL_COPY_LABEL = 'gravl.app/drill-copy';

// ---- The monitoring namespace ----

/** Service `prometheus`. */
export const PROMETHEUS = { service: 'prometheus', port: { name: 'web', port: 9090 } } as const;

/** Service `alertmanager`. */
export const ALERTMANAGER = { service: 'alertmanager', port: { name: 'web', port: 9093 } } as const;

/** Service `grafana`. */
export const GRAFANA = { service: 'grafana', port: { name: 'http', port: 3000 } } as const;

/** Service `loki`. */
export const LOKI = { service: 'loki', port: { name: 'http', port: 3100 } } as const;

/** Service `kube-state-metrics`. */
export const KUBE_STATE_METRICS = { service: 'kube-state-metrics', port: { name: 'http-metrics', port: 8080 } } as const;

// ---- The node-agents namespace ----

/** DaemonSet and Service `node-exporter` (hostNetwork: its endpoints are the nodes' addresses). */
export const NODE_EXPORTER = { service: 'node-exporter', port: { name: 'metrics', port: 9100 } } as const;

/** DaemonSet and Service `alloy`, the log collector. */
export const ALLOY = { service: 'alloy', port: { name: 'http', port: 12345 } } as const;

// ---- cert-manager and the nodes ----

/** cert-manager's controller pods: selected by this label, metrics on this container port. */
export const CERT_MANAGER = { podLabel: { 'app.kubernetes.io/name': 'cert-manager' }, metricsPort: 9402 } as const;

/** The kubelet's HTTPS port on every node (serves `/metrics` and `/metrics/cadvisor`). */
export const KUBELET_PORT = 10250;

/** The projected service-account token Prometheus sends to the kubelets. */
export const SERVICE_ACCOUNT_TOKEN_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/token';

/** The cluster CA bundle projected beside the service-account token. */
export const SERVICE_ACCOUNT_CA_FILE = '/var/run/secrets/kubernetes.io/serviceaccount/ca.crt';

// ---- Scrape job names (the `job` label every alert and dashboard query selects on) ----

/** The `job_name` of every scrape job, in the order prometheus.yml lists them. */
export const SCRAPE_JOBS = {
  prometheus: 'prometheus',
  alertmanager: 'alertmanager',
  backend: 'backend',
  postgresExporter: 'postgres-exporter',
  kubeStateMetrics: 'kube-state-metrics',
  nodeExporter: 'node-exporter',
  kubelet: 'kubelet',
  cadvisor: 'cadvisor',
  grafana: 'grafana',
  loki: 'loki',
  certManager: 'cert-manager',
  alloy: 'alloy',
} as const;

/** The file holding the dead-man's-switch URL, pinged for as long as the Watchdog alert arrives. */
export const DEAD_MANS_SWITCH_URL_FILE = '/etc/alertmanager/secrets/dead-mans-switch-url';

// ---- Files inside the monitoring pods (where the constructs mount what this folder renders) ----

/** The folder Prometheus loads alert rule files from (`*.yaml`). */
export const PROMETHEUS_RULES_DIR = '/etc/prometheus/rules';

/** The file name of Gravl's alert rules inside {@link PROMETHEUS_RULES_DIR}. */
export const PROMETHEUS_RULES_FILE = 'gravl-alerts.yaml';

/** The folder of Alertmanager's secret files (a Secret produced by a SealedSecret or ExternalSecret). */
export const ALERTMANAGER_SECRETS_DIR = '/etc/alertmanager/secrets';

/** The file holding the Slack incoming-webhook URL. */
export const SLACK_WEBHOOK_URL_FILE = `${ALERTMANAGER_SECRETS_DIR}/slack-webhook-url`;

/** The file holding the SMTP password. */
export const SMTP_PASSWORD_FILE = `${ALERTMANAGER_SECRETS_DIR}/smtp-password`;

/** The folder Grafana's dashboard provider reads dashboard JSON files from. */
export const GRAFANA_DASHBOARDS_DIR = '/var/lib/grafana/dashboards';

/** The Grafana folder the dashboards appear in. */
export const GRAFANA_FOLDER = 'Gravl';

/** Grafana data source uids, fixed so that dashboards can reference them. */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', loki: 'loki' } as const;

/** The name of the edge: the Gateway and its HTTPRoute, or the legacy Ingress. */
export const EDGE_NAME = 'gravl';
