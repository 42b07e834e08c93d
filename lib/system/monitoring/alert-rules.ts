/**
 * Gravl's alert rules: one Prometheus rules file, mounted into `/etc/prometheus/rules/`. Every rule
 * carries a `severity` label (critical or warning, which Alertmanager routes on) and the
 * annotations `summary`, `description` and `runbook` (one line telling the on-call what to do).
 *
 * Metric sources: the backend (`http_requests_total`, `request_duration_ms_bucket` in
 * milliseconds), postgres_exporter, kube-state-metrics, the kubelet and its cAdvisor, cert-manager,
 * the edge (Envoy or ingress-nginx), Prometheus and Alertmanager themselves, and `up` of every
 * scrape job; each expression selects its scrape job by the `job` label of `./names`.
 */
import { checkCodeOptions } from '../../kit/options';
import { SIGN_OFF } from '../../model/sign-off';
import { MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE, POSTGRES_BACKUP_CRONJOB, POSTGRES_RESTORE_DRILL_CRONJOB, SCRAPE_JOBS } from '../names';
import { EDGE_SCRAPE, type EdgeScrapeKind } from '../../contract';

/**
 * How urgent an alert is: critical reaches Slack and e-mail, warning reaches Slack; `none` is the
 * Watchdog's, which only the dead-man's switch receives.
 */
export type Severity = 'critical' | 'warning' | 'none';

/** One alerting rule, as Prometheus reads it. */
export interface AlertRule {
  /** The alert's name (the `alertname` label). */
  readonly alert: string;
  /** The PromQL expression: every series it returns is an alert. */
  readonly expr: string;
  /** How long the expression must hold before the alert fires. */
  readonly for: string;
  /** Labels added to the alert; `severity` is what Alertmanager routes on. */
  readonly labels: { readonly severity: Severity };
  /** Texts for the notification (Go templates over `$labels` and `$value`). */
  readonly annotations: {
    /** One line for the notification's title. */
    readonly summary: string;
    /** What is wrong, with the values that made the alert fire. */
    readonly description: string;
    /** One line telling the on-call what to do. */
    readonly runbook: string;
  };
}

/** A named group of rules, evaluated together. */
export interface RuleGroup {
  /** The group's name, unique in the rules file. */
  readonly name: string;
  /** The group's alerting rules. */
  readonly rules: readonly AlertRule[];
}

/** Options of {@link alertRules}. */
export interface AlertRuleOptions {
  /** The app namespace (backend, postgres, the backup CronJobs), e.g. `gravl-staging`. */
  readonly namespace: string;
  /**
   * `HighErrorRate` fires when the share of 5xx responses over 5 minutes exceeds this ratio.
   * @default 0.01 (1%, as signed off)
   */
  readonly errorRateThreshold?: number;
  /**
   * `HighRequestLatency` fires when the backend's p95 latency exceeds this many milliseconds.
   * @default 200 (the signed-off p95 target)
   */
  readonly latencyP95Ms?: number;
  /**
   * `PostgresBackupStale` fires when the last successful backup is older than this many hours.
   * @default 26 (a daily backup plus two hours of slack)
   */
  readonly backupMaxAgeHours?: number;
  /**
   * `CertificateExpiringSoon` fires when a cert-manager certificate expires within this many days
   * (cert-manager renews 90-day certificates 30 days ahead, so this means renewal has failed).
   * @default 14
   */
  readonly certificateExpiryDays?: number;
  /**
   * `ContainerCpuNearLimit` and `ContainerMemoryNearLimit` fire above this share of the limit.
   * @default 0.9
   */
  readonly resourceLimitRatio?: number;
  /**
   * `ContainerCpuThrottled` fires when more than this share of CFS periods is throttled.
   * @default 0.25
   */
  readonly cpuThrottlingRatio?: number;
  /**
   * `PersistentVolumeFillingUp` fires when a volume has less than this share of its capacity free.
   * @default 0.1
   */
  readonly volumeFreeRatio?: number;
  /**
   * `PostgresTooManyConnections` fires above this share of `max_connections`.
   * @default 0.8
   */
  readonly postgresConnectionsRatio?: number;
  /**
   * Which copy of the backups the restore drill proves, as its alerts name it (the off-site copy
   * where the environment copies one, else the copy on the backup volume).
   * @default 'volume copy (claim postgres-backups)'
   */
  readonly restoreDrillCopy?: string;
  /**
   * The public host: `EdgeHighErrorRate` watches the 5xx share the edge answers for it.
   * @default no edge alert
   */
  readonly host?: string;
  /**
   * What serves the host, scraped by Prometheus (see `EDGE_SCRAPE`): the Gateway data plane,
   * ingress-nginx, or both while DNS moves.
   * @default none
   */
  readonly edges?: readonly EdgeScrapeKind[];
  /**
   * `EdgeHighErrorRate` fires when the share of 5xx the edge answers for the host passes this ratio.
   * @default 0.001 (the sign-off's error rate, as the load test holds it)
   */
  readonly edgeErrorRateThreshold?: number;
}

type ResolvedOptions = Required<Omit<AlertRuleOptions, 'host'>> & { readonly host?: string };

const DEFAULTS: Omit<ResolvedOptions, 'namespace'> = {
  errorRateThreshold: SIGN_OFF.alertErrorRate,
  latencyP95Ms: SIGN_OFF.latencyP95Ms,
  backupMaxAgeHours: 26,
  certificateExpiryDays: 14,
  resourceLimitRatio: 0.9,
  cpuThrottlingRatio: 0.25,
  volumeFreeRatio: 0.1,
  postgresConnectionsRatio: 0.8,
  restoreDrillCopy: 'volume copy (claim postgres-backups)',
  edges: [],
  edgeErrorRateThreshold: SIGN_OFF.loadTestErrorRate,
};

/** The alert group names, in file order. */
export const ALERT_GROUPS = {
  application: 'gravl-application',
  database: 'gravl-database',
  platform: 'gravl-platform',
  meta: 'gravl-meta-monitoring',
} as const;

/** The alert that always fires: its arrival at the dead-man's switch proves the pipeline works. */
export const WATCHDOG_ALERT = 'Watchdog';

/** Every scrape job of an environment: the fixed ones, then the edge's. */
export function scrapeJobNames(edges: readonly EdgeScrapeKind[] = []): string[] {
  return [...Object.values(SCRAPE_JOBS), ...edges.map((e) => EDGE_SCRAPE[e].job)];
}

/**
 * The selector of TargetDown's absent() term for a job: the jobs of the application's namespace
 * name it, so that the alert carries the namespace BackendDown's inhibition matches on (absent()
 * takes its labels from the selector's equalities).
 */
function absentSelector(job: string, namespace?: string): string {
  return namespace && APP_NAMESPACE_JOBS.includes(job) ? `job="${job}", namespace="${namespace}"` : `job="${job}"`;
}
const APP_NAMESPACE_JOBS: readonly string[] = [SCRAPE_JOBS.backend, SCRAPE_JOBS.postgresExporter];

/** "1%", "0.5%": a ratio as people read it. */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}

/**
 * The options with their defaults. The namespace and the host come from the environment file and
 * are taken as the model validated them; a wrong option set in code (thresholds, edge kinds) is a
 * programming error, thrown as an `Error` naming each.
 */
function resolve(options: AlertRuleOptions): ResolvedOptions {
  // An option given as undefined takes its default, as one left out does.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ResolvedOptions = { ...DEFAULTS, ...given, namespace: options.namespace };
  checkCodeOptions('alertRules', (check) => {
    const ratio = (v: number) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1;
    const positive = (v: number) => typeof v === 'number' && Number.isFinite(v) && v > 0;
    for (const key of ['errorRateThreshold', 'edgeErrorRateThreshold', 'resourceLimitRatio', 'cpuThrottlingRatio', 'volumeFreeRatio', 'postgresConnectionsRatio'] as const) {
      check(key, ratio(resolved[key]), resolved[key], 'a ratio between 0 and 1 (exclusive), such as 0.01 for 1%');
    }
    for (const key of ['latencyP95Ms', 'backupMaxAgeHours', 'certificateExpiryDays'] as const) {
      check(key, positive(resolved[key]), resolved[key], 'a positive number');
    }
    const kinds = Object.keys(EDGE_SCRAPE);
    if (!Array.isArray(resolved.edges)) check('edges', false, resolved.edges, `a list of ${kinds.join(', ')}`);
    else resolved.edges.forEach((e, i) => check(`edges[${i}]`, kinds.includes(e), e, `one of ${kinds.join(', ')}`));
  });
  return resolved;
}

/** A regex alternation for a `=~` matcher; namespaces are DNS labels, free of regex metacharacters. */
function oneOf(values: readonly string[]): string {
  return values.join('|');
}

function rule(
  alert: string,
  severity: Severity,
  forDuration: string,
  expr: string,
  summary: string,
  description: string,
  runbook: string,
): AlertRule {
  return { alert, expr, for: forDuration, labels: { severity }, annotations: { summary, description, runbook } };
}

/** "The last run did not succeed": scheduled after the last success (or never succeeded) and nothing running. */
function cronJobLastRunFailed(namespace: string, cronjob: string): string {
  const s = `job="${SCRAPE_JOBS.kubeStateMetrics}", namespace="${namespace}", cronjob="${cronjob}"`;
  return [
    '(',
    `  kube_cronjob_status_last_schedule_time{${s}}`,
    `    > kube_cronjob_status_last_successful_time{${s}}`,
    '  or',
    `  kube_cronjob_status_last_schedule_time{${s}}`,
    `    unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${s}}`,
    ')',
    `and on (namespace, cronjob) (kube_cronjob_status_active{${s}} == 0)`,
  ].join('\n');
}

function applicationRules(o: ResolvedOptions): AlertRule[] {
  const backend = `job="${SCRAPE_JOBS.backend}", namespace="${o.namespace}"`;
  return [
    rule(
      'BackendDown',
      'critical',
      '2m',
      [`max by (namespace, job) (up{${backend}}) == 0`, 'or', `absent(up{${backend}})`].join('\n'),
      'No backend target is up in {{ $labels.namespace }}',
      'Prometheus has not scraped any healthy backend pod in {{ $labels.namespace }} for 2 minutes: the API is down or unreachable.',
      `Run kubectl -n ${o.namespace} get pods -l app.kubernetes.io/name=backend and read the failing pods' events and logs; roll back the last release if it started with it.`,
    ),
    rule(
      'HighErrorRate',
      'critical',
      '5m',
      [
        `sum by (namespace) (rate(http_requests_total{${backend}, status=~"5.."}[5m]))`,
        '  /',
        `sum by (namespace) (rate(http_requests_total{${backend}}[5m]))`,
        `> ${o.errorRateThreshold}`,
      ].join('\n'),
      `Backend 5xx responses above ${percent(o.errorRateThreshold)} in {{ $labels.namespace }}`,
      `{{ $value | humanizePercentage }} of backend requests in {{ $labels.namespace }} failed with a 5xx status over the last 5 minutes (threshold ${percent(o.errorRateThreshold)}).`,
      'Open the Gravl "Error Rate" dashboard to find the failing routes, read the backend logs in Grafana (Loki), and roll back the last release if the errors started with it.',
    ),
    rule(
      'HighRequestLatency',
      'warning',
      '10m',
      `histogram_quantile(0.95, sum by (namespace, le) (rate(request_duration_ms_bucket{${backend}}[5m]))) > ${o.latencyP95Ms}`,
      `Backend p95 latency above ${o.latencyP95Ms} ms in {{ $labels.namespace }}`,
      `The backend's 95th percentile request latency in {{ $labels.namespace }} is {{ $value | printf "%.0f" }} ms over the last 5 minutes (target below ${o.latencyP95Ms} ms).`,
      'Open the Gravl "Latency" dashboard, check backend CPU throttling and Postgres connections, and scale the backend out if it is saturated.',
    ),
  ];
}

function databaseRules(o: ResolvedOptions): AlertRule[] {
  const exporter = `job="${SCRAPE_JOBS.postgresExporter}", namespace="${o.namespace}"`;
  const maxAgeSeconds = `${o.backupMaxAgeHours} * 3600`;
  const backup = `job="${SCRAPE_JOBS.kubeStateMetrics}", namespace="${o.namespace}", cronjob="${POSTGRES_BACKUP_CRONJOB}"`;
  const manualRun = (cronjob: string) => `kubectl -n ${o.namespace} create job --from=cronjob/${cronjob} ${cronjob}-manual-$(date +%s)`;
  return [
    rule(
      'PostgresDown',
      'critical',
      '2m',
      [`pg_up{${exporter}} == 0`, 'or', `absent(pg_up{${exporter}})`].join('\n'),
      'PostgreSQL is down in {{ $labels.namespace }}',
      'postgres_exporter reports that PostgreSQL in {{ $labels.namespace }} does not answer (pg_up is 0), or the exporter itself has not been scraped, for 2 minutes.',
      `Run kubectl -n ${o.namespace} describe pod postgres-0 and read the logs of its postgres and exporter containers; if the volume is full or the data is damaged, restore the latest backup.`,
    ),
    rule(
      'PostgresTooManyConnections',
      'warning',
      '5m',
      [
        `sum by (namespace, pod) (pg_stat_activity_count{${exporter}})`,
        '  / on (namespace, pod)',
        `max by (namespace, pod) (pg_settings_max_connections{${exporter}})`,
        `> ${o.postgresConnectionsRatio}`,
      ].join('\n'),
      `PostgreSQL above ${percent(o.postgresConnectionsRatio)} of max_connections in {{ $labels.namespace }}`,
      `{{ $labels.pod }} in {{ $labels.namespace }} uses {{ $value | humanizePercentage }} of its max_connections; new connections will be refused at 100%.`,
      'Find the clients holding connections (SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3), restart backend pods that leak connections, or raise max_connections.',
    ),
    rule(
      'PostgresBackupFailed',
      'warning',
      '5m',
      cronJobLastRunFailed(o.namespace, POSTGRES_BACKUP_CRONJOB),
      'The last database backup failed in {{ $labels.namespace }}',
      `The last run of CronJob ${POSTGRES_BACKUP_CRONJOB} in {{ $labels.namespace }} finished without succeeding.`,
      `Read the logs of the newest ${POSTGRES_BACKUP_CRONJOB}-* job (kubectl -n ${o.namespace} get jobs; kubectl -n ${o.namespace} logs job/<name>), fix the cause, then run a backup by hand: ${manualRun(POSTGRES_BACKUP_CRONJOB)}.`,
    ),
    rule(
      'PostgresBackupStale',
      'critical',
      '10m',
      [
        `time() - kube_cronjob_status_last_successful_time{${backup}} > ${maxAgeSeconds}`,
        'or',
        `(time() - kube_cronjob_created{${backup}} > ${maxAgeSeconds})`,
        `  unless on (namespace, cronjob) kube_cronjob_status_last_successful_time{${backup}}`,
      ].join('\n'),
      `No successful database backup for ${o.backupMaxAgeHours} hours in {{ $labels.namespace }}`,
      `CronJob ${POSTGRES_BACKUP_CRONJOB} in {{ $labels.namespace }} has not completed a backup for {{ $value | humanizeDuration }} (or not since it was created); the limit is ${o.backupMaxAgeHours} hours.`,
      `Check that CronJob ${POSTGRES_BACKUP_CRONJOB} is not suspended and that its jobs start (kubectl -n ${o.namespace} get cronjob,jobs), then run a backup by hand: ${manualRun(POSTGRES_BACKUP_CRONJOB)}.`,
    ),
    rule(
      'PostgresRestoreDrillFailed',
      'warning',
      '5m',
      cronJobLastRunFailed(o.namespace, POSTGRES_RESTORE_DRILL_CRONJOB),
      `The last restore drill of the ${o.restoreDrillCopy} failed in {{ $labels.namespace }}`,
      `The last run of CronJob ${POSTGRES_RESTORE_DRILL_CRONJOB} in {{ $labels.namespace }} could not restore the newest dump of the ${o.restoreDrillCopy}: those backups may not be usable.`,
      `Read the logs of the newest ${POSTGRES_RESTORE_DRILL_CRONJOB}-* job, fix the backup or the drill, then run both by hand: ${manualRun(POSTGRES_BACKUP_CRONJOB)} and, once it has succeeded, ${manualRun(POSTGRES_RESTORE_DRILL_CRONJOB)}.`,
    ),
  ];
}

function platformRules(o: ResolvedOptions): AlertRule[] {
  // Platform alerts watch every Gravl namespace: the seed's Loki and Promtail crash loops (161 and
  // 199 restarts) happened in the monitoring stack, not in the app.
  const namespaces = `namespace=~"${oneOf([o.namespace, MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE])}"`;
  const cadvisor = `job="${SCRAPE_JOBS.cadvisor}", ${namespaces}, container!="", container!="POD"`;
  const limits = (resource: string) => `kube_pod_container_resource_limits{job="${SCRAPE_JOBS.kubeStateMetrics}", ${namespaces}, resource="${resource}"}`;
  const perContainer = 'namespace, pod, container';
  const days = `${o.certificateExpiryDays} * 24 * 3600`;
  return [
    rule(
      'ContainerCpuNearLimit',
      'warning',
      '15m',
      [
        `sum by (${perContainer}) (rate(container_cpu_usage_seconds_total{${cadvisor}}[5m]))`,
        `  / on (${perContainer})`,
        `sum by (${perContainer}) (${limits('cpu')})`,
        `> ${o.resourceLimitRatio}`,
      ].join('\n'),
      'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is near its CPU limit',
      `{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} uses {{ $value | humanizePercentage }} of its CPU limit (threshold ${percent(o.resourceLimitRatio)}).`,
      'If the workload is busy, scale it out or raise its CPU limit in the environment file; if it is not, look for a hot loop in its logs and profiles.',
    ),
    rule(
      'ContainerMemoryNearLimit',
      'warning',
      '15m',
      [
        `max by (${perContainer}) (container_memory_working_set_bytes{${cadvisor}})`,
        `  / on (${perContainer})`,
        `max by (${perContainer}) (${limits('memory')})`,
        `> ${o.resourceLimitRatio}`,
      ].join('\n'),
      'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is near its memory limit',
      `{{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} has a working set of {{ $value | humanizePercentage }} of its memory limit (threshold ${percent(o.resourceLimitRatio)}); it is OOM-killed at 100%.`,
      'Raise the memory limit in the environment file, or find the leak (memory graph since the last restart) and restart the pod to buy time.',
    ),
    rule(
      'ContainerCpuThrottled',
      'warning',
      '15m',
      [
        `sum by (${perContainer}) (increase(container_cpu_cfs_throttled_periods_total{${cadvisor}}[5m]))`,
        `  / on (${perContainer})`,
        `sum by (${perContainer}) (increase(container_cpu_cfs_periods_total{${cadvisor}}[5m]))`,
        `> ${o.cpuThrottlingRatio}`,
      ].join('\n'),
      'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is CPU-throttled',
      `{{ $value | humanizePercentage }} of the CPU periods of {{ $labels.namespace }}/{{ $labels.pod }} container {{ $labels.container }} were throttled over 5 minutes (threshold ${percent(o.cpuThrottlingRatio)}).`,
      'Raise the CPU limit in the environment file or scale the workload out: throttling adds latency even when average CPU use looks low.',
    ),
    rule(
      'CrashLoopBackOff',
      'warning',
      '10m',
      // max_over_time bridges the moments the container runs between two crashes.
      `max by (${perContainer}) (max_over_time(kube_pod_container_status_waiting_reason{job="${SCRAPE_JOBS.kubeStateMetrics}", ${namespaces}, reason="CrashLoopBackOff"}[5m])) >= 1`,
      'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} is in CrashLoopBackOff',
      'Container {{ $labels.container }} of {{ $labels.namespace }}/{{ $labels.pod }} keeps crashing and Kubernetes is backing off its restarts.',
      'Read kubectl -n {{ $labels.namespace }} logs {{ $labels.pod }} -c {{ $labels.container }} --previous and the events of kubectl -n {{ $labels.namespace }} describe pod {{ $labels.pod }} (a missing Secret, an unknown StorageClass or a failing probe are the usual causes).',
    ),
    rule(
      'PersistentVolumeFillingUp',
      'warning',
      '10m',
      [
        `kubelet_volume_stats_available_bytes{job="${SCRAPE_JOBS.kubelet}", ${namespaces}}`,
        '  /',
        `kubelet_volume_stats_capacity_bytes{job="${SCRAPE_JOBS.kubelet}", ${namespaces}}`,
        `< ${o.volumeFreeRatio}`,
      ].join('\n'),
      'Volume {{ $labels.namespace }}/{{ $labels.persistentvolumeclaim }} is almost full',
      `PersistentVolumeClaim {{ $labels.persistentvolumeclaim }} in {{ $labels.namespace }} has only {{ $value | humanizePercentage }} of its capacity free (threshold ${percent(o.volumeFreeRatio)}).`,
      'Expand the PersistentVolumeClaim in the environment file if its StorageClass allows expansion, or free space (Loki: shorten retention; Postgres: VACUUM and drop old data).',
    ),
    rule(
      'CertificateExpiringSoon',
      'warning',
      '1h',
      `(certmanager_certificate_expiration_timestamp_seconds{job="${SCRAPE_JOBS.certManager}"} > 0) - time() < ${days}`,
      'Certificate {{ $labels.namespace }}/{{ $labels.name }} expires soon',
      `Certificate {{ $labels.namespace }}/{{ $labels.name }} (issuer {{ $labels.issuer_name }}) expires in {{ $value | humanizeDuration }}, under the ${o.certificateExpiryDays}-day limit: cert-manager has not renewed it.`,
      'Run kubectl -n {{ $labels.namespace }} describe certificate {{ $labels.name }} and cmctl status certificate -n {{ $labels.namespace }} {{ $labels.name }}, fix the issuer or the ACME challenge, then cmctl renew -n {{ $labels.namespace }} {{ $labels.name }}.',
    ),
  ];
}

/**
 * The share of the host's requests an edge implementation answered with a 5xx over `window`, by
 * job (the alert's window is 5m; the dashboard's Grafana's `$__rate_interval`).
 */
export function edgeErrorRatio(kind: EdgeScrapeKind, host: string, window = '5m'): string {
  const { errors, total } = edgeRates(kind, host, window);
  return [errors, '  /', total].join('\n');
}

/** The edge's 5xx answers and all its answers for the host, per second, by job. */
function edgeRates(kind: EdgeScrapeKind, host: string, window: string): { errors: string; total: string } {
  const job = `job="${EDGE_SCRAPE[kind].job}"`;
  if (kind === 'ingress') {
    const s = `${job}, host="${host}"`;
    return {
      errors: `sum by (job) (rate(nginx_ingress_controller_requests{${s}, status=~"5.."}[${window}]))`,
      total: `sum by (job) (rate(nginx_ingress_controller_requests{${s}}[${window}]))`,
    };
  }
  // The job keeps only the proxies of this environment's Gateway, which serves only the host:
  // every request of their HTTP listeners is the host's. Envoy Gateway's own stats and readiness
  // listeners (prefix eg-) are left out.
  const s = `${job}, envoy_http_conn_manager_prefix!~"eg-.*"`;
  return {
    errors: `sum by (job) (rate(envoy_http_downstream_rq_xx{${s}, envoy_response_code_class="5"}[${window}]))`,
    total: `sum by (job) (rate(envoy_http_downstream_rq_xx{${s}}[${window}]))`,
  };
}

/**
 * The least traffic, in requests a second, at which the edge's 5xx share is judged: 1500 requests
 * in five minutes, so that one failed request (0.07%) stays under the sign-off's 0.1%. Below it an
 * outage shows in BackendDown and TargetDown, not as a page for a single 502.
 */
export const EDGE_MIN_REQUESTS_PER_SECOND = 5;

/** 5xx share answered at the edge for the host, per edge implementation. */
function edgeRules(o: ResolvedOptions): AlertRule[] {
  if (!o.host || o.edges.length === 0) return [];
  const host = o.host;
  const ratio = (kind: EdgeScrapeKind): string => edgeErrorRatio(kind, host);
  return [
    rule(
      'EdgeHighErrorRate',
      'critical',
      '5m',
      // Per edge: the share above the threshold, where the edge carries enough traffic to judge it.
      o.edges
        .map((e) => `(\n(\n${ratio(e)}\n) > ${o.edgeErrorRateThreshold}\nand on (job)\n${edgeRates(e, host, '5m').total} > ${EDGE_MIN_REQUESTS_PER_SECOND}\n)`)
        .join('\nor\n'),
      `Edge 5xx answers for ${host} above ${percent(o.edgeErrorRateThreshold)}`,
      `{{ $value | humanizePercentage }} of the requests for ${host} were answered with a 5xx status at the edge ({{ $labels.job }}) over the last 5 minutes (sign-off ${percent(o.edgeErrorRateThreshold)}): 502, 503 and 504 the backend never saw count here.`,
      `Compare with the backend's own error rate (Gravl "Error Rate" dashboard): 5xx at the edge alone mean pods stopping before the edge forgot them, no ready endpoints, or timeouts; check kubectl -n ${o.namespace} get endpoints, the last rollout and the proxies' logs.`,
    ),
  ];
}

/** The watchers watched: the pipeline itself, every scrape job, and the inputs other alerts need. */
function metaRules(o: ResolvedOptions): AlertRule[] {
  const jobs = scrapeJobNames(o.edges);
  const ksm = `job="${SCRAPE_JOBS.kubeStateMetrics}"`;
  const cronjobInput = (cronjob: string) => `absent(kube_cronjob_created{${ksm}, namespace="${o.namespace}", cronjob="${cronjob}"})`;
  return [
    rule(
      WATCHDOG_ALERT,
      'none',
      '0m',
      'vector(1)',
      'Always firing: the alerting pipeline works',
      'This alert always fires. Its notifications reach the dead-man\'s switch, which pages when they stop: Prometheus, its rules or Alertmanager have stopped working.',
      'Nothing to do while it fires. When the dead-man\'s switch pages, check that the prometheus and alertmanager pods in gravl-monitoring run and that Alertmanager reaches the internet.',
    ),
    rule(
      'TargetDown',
      'warning',
      '5m',
      [`up{job=~"${oneOf(jobs)}"} == 0`, ...jobs.flatMap((job) => ['or', `absent(up{${absentSelector(job, o.namespace)}})`])].join('\n'),
      'Scrape target {{ $labels.job }} {{ $labels.instance }} is down',
      'Prometheus cannot scrape {{ $labels.job }} {{ $labels.instance }} (or finds no target of that job at all) for 5 minutes: the alerts that read its metrics cannot fire.',
      'Open Prometheus\'s Targets page for the scrape error; check the pod (kubectl get pods -A -o wide | grep {{ $labels.job }}) and the NetworkPolicy that admits Prometheus on its metrics port.',
    ),
    rule(
      'KubeStateMetricsAbsent',
      'critical',
      '5m',
      // Labelled with the job either way, so that it can silence the job's own TargetDown.
      [`max by (job) (up{${ksm}}) == 0`, 'or', `absent(up{${ksm}})`].join('\n'),
      'kube-state-metrics is not scraped: backup, crash-loop and resource-limit alerts are blind',
      'No kube-state-metrics target has been up for 5 minutes, so PostgresBackupStale, PostgresBackupFailed, PostgresRestoreDrillFailed, CrashLoopBackOff and the near-limit alerts cannot fire.',
      'Run kubectl -n gravl-monitoring get pods -l app.kubernetes.io/name=kube-state-metrics and read its logs and events; restore it before trusting the backup alerts again.',
    ),
    rule(
      'PostgresBackupMetricsAbsent',
      'critical',
      '15m',
      [cronjobInput(POSTGRES_BACKUP_CRONJOB), 'or', cronjobInput(POSTGRES_RESTORE_DRILL_CRONJOB)].join('\n'),
      'The backup CronJobs are missing from kube-state-metrics: backup alerts cannot fire',
      `kube-state-metrics reports no CronJob {{ $labels.cronjob }} in ${o.namespace} for 15 minutes (kube-state-metrics down, or the CronJob deleted), so the backup and restore-drill alerts are blind.`,
      `Check kubectl -n ${o.namespace} get cronjob and the kube-state-metrics pod; recreate the CronJob by syncing the environment.`,
    ),
    rule(
      'CertManagerMetricsAbsent',
      'warning',
      '15m',
      [
        `max by (job) (up{job="${SCRAPE_JOBS.certManager}"}) == 0`,
        'or',
        `absent(up{job="${SCRAPE_JOBS.certManager}"})`,
        'or',
        `absent(certmanager_certificate_expiration_timestamp_seconds{job="${SCRAPE_JOBS.certManager}"})`,
      ].join('\n'),
      'cert-manager is not scraped or reports no certificate: certificate expiry is not watched',
      'For 15 minutes Prometheus has had no cert-manager target up, or no certificate expiry series: CertificateExpiringSoon cannot fire.',
      'Check the cert-manager controller pods and their metrics port 9402, the NetworkPolicy that admits Prometheus, and kubectl get certificates -A.',
    ),
    rule(
      'AlertmanagerNotificationsFailing',
      'critical',
      '10m',
      `sum by (integration) (rate(alertmanager_notifications_failed_total{job="${SCRAPE_JOBS.alertmanager}"}[5m])) > 0`,
      'Alertmanager fails to deliver notifications through {{ $labels.integration }}',
      'Alertmanager has failed to send notifications through {{ $labels.integration }} for 10 minutes: alerts may reach nobody there.',
      'Read the alertmanager pod\'s logs in gravl-monitoring for the delivery error; check the receiver\'s sealed credentials, the mail server and the egress NetworkPolicy.',
    ),
    rule(
      'PrometheusRuleEvaluationFailures',
      'critical',
      '10m',
      `sum by (rule_group) (increase(prometheus_rule_evaluation_failures_total{job="${SCRAPE_JOBS.prometheus}"}[5m])) > 0`,
      'Prometheus fails to evaluate rule group {{ $labels.rule_group }}',
      'Rules of {{ $labels.rule_group }} failed to evaluate over the last 5 minutes: their alerts cannot fire.',
      'Read the prometheus pod\'s logs in gravl-monitoring for the evaluation error (a query too heavy or a many-to-many match) and fix the rule.',
    ),
    rule(
      'PrometheusNotConnectedToAlertmanager',
      'critical',
      '10m',
      `max_over_time(prometheus_notifications_alertmanagers_discovered{job="${SCRAPE_JOBS.prometheus}"}[5m]) < 1`,
      'Prometheus has no Alertmanager to send alerts to',
      'Prometheus has discovered no Alertmanager for 10 minutes: firing alerts reach nobody (the dead-man\'s switch pages too).',
      'Check that the alertmanager pod in gravl-monitoring is ready and that its Service has endpoints (kubectl -n gravl-monitoring get endpoints alertmanager).',
    ),
    rule(
      'PrometheusErrorSendingAlerts',
      'critical',
      '10m',
      [
        `sum by (alertmanager) (rate(prometheus_notifications_errors_total{job="${SCRAPE_JOBS.prometheus}"}[5m]))`,
        '  /',
        `sum by (alertmanager) (rate(prometheus_notifications_sent_total{job="${SCRAPE_JOBS.prometheus}"}[5m]))`,
        '> 0.01',
      ].join('\n'),
      'Prometheus fails to send alerts to {{ $labels.alertmanager }}',
      '{{ $value | humanizePercentage }} of the alerts Prometheus sent to {{ $labels.alertmanager }} failed over the last 5 minutes.',
      'Read the prometheus pod\'s logs for the send error and check the NetworkPolicy from Prometheus to Alertmanager\'s web port.',
    ),
    rule(
      'PrometheusConfigReloadFailed',
      'warning',
      '10m',
      `max by (pod) (prometheus_config_last_reload_successful{job="${SCRAPE_JOBS.prometheus}"}) == 0`,
      'Prometheus could not load its new configuration',
      'The last configuration reload of {{ $labels.pod }} failed: it still runs the previous configuration and rules.',
      'Read the prometheus pod\'s logs for the reload error, fix the configuration in lib/system/monitoring and sync again.',
    ),
  ];
}

/**
 * The rules file: {@link ALERT_GROUPS} application (backend availability, errors, latency, and the
 * edge's 5xx where a host and an edge are given), database (Postgres health, connections, backups,
 * restore drills), platform (CPU, memory, throttling, crash loops, volumes, certificates) and
 * meta-monitoring (the Watchdog, TargetDown, guards for missing inputs, the pipeline's failures).
 * Throws an `Error` naming every wrong option set in code.
 */
export function alertRules(options: AlertRuleOptions): { groups: RuleGroup[] } {
  const o = resolve(options);
  return {
    groups: [
      { name: ALERT_GROUPS.application, rules: [...applicationRules(o), ...edgeRules(o)] },
      { name: ALERT_GROUPS.database, rules: databaseRules(o) },
      { name: ALERT_GROUPS.platform, rules: platformRules(o) },
      { name: ALERT_GROUPS.meta, rules: metaRules(o) },
    ],
  };
}
