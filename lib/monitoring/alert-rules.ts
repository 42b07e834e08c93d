/**
 * Gravl's alert rules: one Prometheus rules file, mounted into `/etc/prometheus/rules/`. Every rule
 * carries a `severity` label (critical or warning, which Alertmanager routes on) and the
 * annotations `summary`, `description` and `runbook` (one line telling the on-call what to do).
 *
 * Metric sources: the backend (`http_requests_total`, `request_duration_ms_bucket` in
 * milliseconds), postgres_exporter, kube-state-metrics, the kubelet and its cAdvisor, and
 * cert-manager; each expression selects its scrape job by the `job` label of `./names`.
 */
import { FORMATS } from '../config/formats';
import { describeValue, ProblemsError, type Problem } from '../config/problems';
import { SIGN_OFF } from '../sign-off';
import {
  MONITORING_NAMESPACE,
  NODE_AGENTS_NAMESPACE,
  POSTGRES_BACKUP_CRONJOB,
  POSTGRES_RESTORE_DRILL_CRONJOB,
  SCRAPE_JOBS,
} from './names';

/** How urgent an alert is: critical reaches Slack and e-mail, warning reaches Slack. */
export type Severity = 'critical' | 'warning';

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
}

type ResolvedOptions = Required<AlertRuleOptions>;

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
};

/** The alert group names, in file order. */
export const ALERT_GROUPS = {
  application: 'gravl-application',
  database: 'gravl-database',
  platform: 'gravl-platform',
} as const;

/** "1%", "0.5%": a ratio as people read it. */
export function percent(ratio: number): string {
  return `${Number((ratio * 100).toFixed(4))}%`;
}

function validate(options: AlertRuleOptions): ResolvedOptions {
  // An option given as undefined takes its default, as one left out does.
  const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const resolved: ResolvedOptions = { ...DEFAULTS, ...given, namespace: options.namespace };
  const problems: Problem[] = [];
  const check = (path: string, ok: boolean, value: unknown, expected: string) => {
    if (!ok) problems.push({ file: 'alertRules', path, message: `found ${describeValue(value)}, expected ${expected}` });
  };
  const dnsLabel = FORMATS['dns-label']!;
  check('namespace', typeof resolved.namespace === 'string' && dnsLabel.check(resolved.namespace), resolved.namespace, dnsLabel.expected);
  const ratio = (v: number) => typeof v === 'number' && Number.isFinite(v) && v > 0 && v < 1;
  const positive = (v: number) => typeof v === 'number' && Number.isFinite(v) && v > 0;
  for (const key of ['errorRateThreshold', 'resourceLimitRatio', 'cpuThrottlingRatio', 'volumeFreeRatio', 'postgresConnectionsRatio'] as const) {
    check(key, ratio(resolved[key]), resolved[key], 'a ratio between 0 and 1 (exclusive), such as 0.01 for 1%');
  }
  for (const key of ['latencyP95Ms', 'backupMaxAgeHours', 'certificateExpiryDays'] as const) {
    check(key, positive(resolved[key]), resolved[key], 'a positive number');
  }
  if (problems.length > 0) throw new ProblemsError(problems);
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
 * The rules file: {@link ALERT_GROUPS} application (backend availability, errors, latency),
 * database (Postgres health, connections, backups, restore drills) and platform (CPU, memory,
 * throttling, crash loops, volumes, certificates). Throws a `ProblemsError` naming every wrong
 * option.
 */
export function alertRules(options: AlertRuleOptions): { groups: RuleGroup[] } {
  const o = validate(options);
  return {
    groups: [
      { name: ALERT_GROUPS.application, rules: applicationRules(o) },
      { name: ALERT_GROUPS.database, rules: databaseRules(o) },
      { name: ALERT_GROUPS.platform, rules: platformRules(o) },
    ],
  };
}
