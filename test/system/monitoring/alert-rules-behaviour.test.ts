/**
 * Each alert, proven by `promtool test rules` on series written here: it fires when it should and
 * stays silent when it should not. The cases run as one promtool invocation (fast); when it fails,
 * each case reruns alone so that its own test names its own failure.
 *
 * Alerts are compared by labels: the rules under test are the rendered rules with annotations
 * removed (promtool compares annotations exactly), and a separate set of cases checks that the
 * annotations render with the values that made the alert fire.
 */
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules, type AlertRuleOptions, type RuleGroup } from '../../../lib/system/monitoring/alert-rules';
import { removeDir, runTool, scratchDir, writeYaml, type ToolRun } from '../../support/prom-tools';

const NS = 'gravl-staging';

type Labels = Readonly<Record<string, string>>;

interface Case {
  readonly alert: string;
  /** A sentence: "fires when ..." or "stays silent when ...". */
  readonly name: string;
  /** Input series: metric name and labels, then promtool's expanding notation ('0+2x20'). */
  readonly series: readonly (readonly [string, Labels, string])[];
  /** When to look, from the start of the series. */
  readonly at: string;
  /** The labels of each expected alert (alertname is implied); empty: the alert stays silent. */
  readonly fires: readonly Labels[];
  readonly options?: Partial<AlertRuleOptions>;
  /** Sample and evaluation interval. @default '1m' */
  readonly interval?: string;
  /** Expected annotations: the case runs against the rules with their annotations. */
  readonly annotations?: Readonly<Record<string, string>>;
}

const backend = { job: 'backend', namespace: NS };
const exporter = { job: 'postgres-exporter', namespace: NS, pod: 'postgres-0', instance: '10.0.0.5:9187', service: 'postgres' };
const ksm = { job: 'kube-state-metrics' };
const backupJob = { ...ksm, namespace: NS, cronjob: 'postgres-backup' };
const drillJob = { ...ksm, namespace: NS, cronjob: 'postgres-restore-drill' };
const cadvisor = (namespace: string, pod: string, container: string) => ({ job: 'cadvisor', namespace, pod, container, node: 'node-1', instance: '10.0.0.1:10250' });
const limit = (namespace: string, pod: string, container: string, resource: string, unit: string) => ({ ...ksm, namespace, pod, container, node: 'node-1', resource, unit });
const volume = { job: 'kubelet', namespace: NS, persistentvolumeclaim: 'data-postgres-0', node: 'node-1', instance: '10.0.0.1:10250' };
const certificate = {
  job: 'cert-manager',
  name: 'gravl-tls',
  namespace: NS,
  issuer_name: 'letsencrypt-prod',
  issuer_kind: 'ClusterIssuer',
  issuer_group: 'cert-manager.io',
  pod: 'cert-manager-7d9f8b6c5d-x2x4k',
  node: 'node-1',
};

/** A counter rising by `perMinute` each minute: requests of one status. */
const requests = (status: string, perMinute: number, namespace = NS) =>
  ['http_requests_total', { ...backend, namespace, status, method: 'GET', route: '/api/exercises' }, `0+${perMinute}x30`] as const;

/** Latency histogram buckets (milliseconds), each rising by its cumulative count per minute. */
const latency = (cumulative: Readonly<Record<string, number>>) =>
  Object.entries(cumulative).map(([le, perMinute]) => ['request_duration_ms_bucket', { ...backend, le }, `0+${perMinute}x40`] as const);

/** Every fixed scrape job, and one target of it as Prometheus labels it. */
const ALL_JOBS = ['prometheus', 'alertmanager', 'backend', 'postgres-exporter', 'kube-state-metrics', 'node-exporter', 'kubelet', 'cadvisor', 'grafana', 'loki', 'cert-manager', 'alloy'];
/** A scraped target's labels as the relabelling writes them: the application's jobs carry its namespace. */
const target = (job: string) => ({ job, instance: `10.0.1.${ALL_JOBS.indexOf(job) + 10}:9000`, pod: `${job}-0`, ...(['backend', 'postgres-exporter'].includes(job) ? { namespace: NS } : {}) });

/** The edge's 5xx share for the host, per edge implementation. */
function edgeCases(): Case[] {
  const options: Partial<AlertRuleOptions> = { host: 'gravl.app', edges: ['gateway', 'ingress'] };
  const envoy = (prefix: string, codeClass: string, perMinute: number) =>
    ['envoy_http_downstream_rq_xx', { ...target('edge-gateway'), job: 'edge-gateway', envoy_http_conn_manager_prefix: prefix, envoy_response_code_class: codeClass }, `0+${perMinute}x30`] as const;
  const nginx = (host: string, status: string, perMinute: number) =>
    ['nginx_ingress_controller_requests', { job: 'edge-ingress', pod: 'ingress-nginx-controller-abc', host, status, ingress: 'gravl', namespace: 'gravl-prod', method: 'GET' }, `0+${perMinute}x30`] as const;
  return [
    { alert: 'EdgeHighErrorRate', name: 'fires when the Gateway proxies answer 0.5% of requests with a 5xx', series: [envoy('https', '2', 995), envoy('https', '5', 5)], at: '15m', fires: [{ job: 'edge-gateway', severity: 'critical' }], options },
    { alert: 'EdgeHighErrorRate', name: 'stays silent at 0.05% 5xx from the Gateway proxies', series: [envoy('https', '2', 1999), envoy('https', '5', 1)], at: '15m', fires: [], options },
    { alert: 'EdgeHighErrorRate', name: 'stays silent at 1 request a second, even with some 5xx (too little traffic to judge a 0.1% share)', series: [envoy('https', '2', 55), envoy('https', '5', 5)], at: '15m', fires: [], options },
    { alert: 'EdgeHighErrorRate', name: "stays silent about 5xx of Envoy Gateway's own stats listener", series: [envoy('https', '2', 1000), envoy('eg-stats-http', '5', 100)], at: '15m', fires: [], options },
    { alert: 'EdgeHighErrorRate', name: 'fires when ingress-nginx answers 0.5% of requests for the host with a 502', series: [nginx('gravl.app', '200', 995), nginx('gravl.app', '502', 5)], at: '15m', fires: [{ job: 'edge-ingress', severity: 'critical' }], options },
    { alert: 'EdgeHighErrorRate', name: 'stays silent about 5xx ingress-nginx answers for another host', series: [nginx('gravl.app', '200', 1000), nginx('other.example', '503', 100)], at: '15m', fires: [], options },
  ];
}

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const DAY = 86_400;

const CASES: readonly Case[] = [
  // ---- application ----
  {
    alert: 'BackendDown',
    name: 'fires when every backend target is down',
    series: [['up', { ...backend, pod: 'backend-a' }, '0x15'], ['up', { ...backend, pod: 'backend-b' }, '0x15']],
    at: '10m',
    fires: [{ ...backend, severity: 'critical' }],
  },
  {
    alert: 'BackendDown',
    name: 'fires when no backend target exists at all',
    series: [['up', { job: 'frontend', namespace: NS, pod: 'frontend-a' }, '1x15']],
    at: '10m',
    fires: [{ ...backend, severity: 'critical' }],
  },
  {
    alert: 'BackendDown',
    name: 'stays silent while one backend target of two is up',
    series: [['up', { ...backend, pod: 'backend-a' }, '1x15'], ['up', { ...backend, pod: 'backend-b' }, '0x15']],
    at: '10m',
    fires: [],
  },
  {
    alert: 'HighErrorRate',
    name: 'fires when 2% of requests fail with a 5xx status',
    series: [requests('200', 98), requests('500', 2)],
    at: '15m',
    fires: [{ namespace: NS, severity: 'critical' }],
  },
  {
    alert: 'HighErrorRate',
    name: 'stays silent at a 0.5% 5xx share',
    series: [requests('200', 199), requests('503', 1)],
    at: '15m',
    fires: [],
  },
  {
    alert: 'HighErrorRate',
    name: 'stays silent when 10% of requests are 4xx (client errors)',
    series: [requests('200', 90), requests('404', 10)],
    at: '15m',
    fires: [],
  },
  {
    alert: 'HighErrorRate',
    name: 'stays silent about errors in another namespace',
    series: [requests('200', 100), requests('500', 50, 'gravl-prod')],
    at: '15m',
    fires: [],
  },
  {
    alert: 'HighErrorRate',
    name: 'stays silent at 2% when the threshold is set to 5%',
    series: [requests('200', 98), requests('500', 2)],
    at: '15m',
    fires: [],
    options: { errorRateThreshold: 0.05 },
  },
  {
    alert: 'HighRequestLatency',
    name: 'fires when p95 latency is 350 ms (above the 200 ms target)',
    series: latency({ '50': 50, '100': 90, '200': 90, '500': 100, '+Inf': 100 }),
    at: '25m',
    fires: [{ namespace: NS, severity: 'warning' }],
  },
  {
    alert: 'HighRequestLatency',
    name: 'stays silent when p95 latency is 175 ms (below the 200 ms target)',
    series: latency({ '50': 50, '100': 80, '200': 100, '500': 100, '+Inf': 100 }),
    at: '25m',
    fires: [],
  },
  {
    alert: 'HighRequestLatency',
    name: 'stays silent at a p95 of 0.375 ms: the threshold is 200 milliseconds, not 0.2 seconds',
    series: latency({ '0.1': 50, '0.25': 90, '0.5': 100, '+Inf': 100 }),
    at: '25m',
    fires: [],
  },
  // ---- database ----
  {
    alert: 'PostgresDown',
    name: 'fires when the exporter reports pg_up 0',
    series: [['pg_up', exporter, '0x10']],
    at: '5m',
    fires: [{ ...exporter, severity: 'critical' }],
  },
  {
    alert: 'PostgresDown',
    name: 'fires when the exporter is absent',
    series: [['up', { ...backend, pod: 'backend-a' }, '1x10']],
    at: '5m',
    fires: [{ job: 'postgres-exporter', namespace: NS, severity: 'critical' }],
  },
  {
    alert: 'PostgresDown',
    name: 'stays silent while pg_up is 1',
    series: [['pg_up', exporter, '1x10']],
    at: '5m',
    fires: [],
  },
  {
    alert: 'PostgresTooManyConnections',
    name: 'fires at 85 of 100 connections',
    series: [
      ['pg_stat_activity_count', { ...exporter, datname: 'gravl', state: 'active' }, '60x15'],
      ['pg_stat_activity_count', { ...exporter, datname: 'gravl', state: 'idle' }, '25x15'],
      ['pg_settings_max_connections', exporter, '100x15'],
    ],
    at: '10m',
    fires: [{ namespace: NS, pod: 'postgres-0', severity: 'warning' }],
  },
  {
    alert: 'PostgresTooManyConnections',
    name: 'stays silent at 50 of 100 connections',
    series: [
      ['pg_stat_activity_count', { ...exporter, datname: 'gravl', state: 'active' }, '30x15'],
      ['pg_stat_activity_count', { ...exporter, datname: 'gravl', state: 'idle' }, '20x15'],
      ['pg_settings_max_connections', exporter, '100x15'],
    ],
    at: '10m',
    fires: [],
  },
  {
    alert: 'PostgresBackupFailed',
    name: 'fires when the last scheduled backup finished without succeeding',
    series: [
      ['kube_cronjob_status_last_schedule_time', backupJob, `${2 * DAY}x15`],
      ['kube_cronjob_status_last_successful_time', backupJob, `${DAY + 300}x15`],
      ['kube_cronjob_status_active', backupJob, '0x15'],
    ],
    at: '10m',
    fires: [{ ...backupJob, severity: 'warning' }],
  },
  {
    alert: 'PostgresBackupFailed',
    name: 'fires when the first backup failed and none ever succeeded',
    series: [
      ['kube_cronjob_status_last_schedule_time', backupJob, `${DAY}x15`],
      ['kube_cronjob_status_active', backupJob, '0x15'],
    ],
    at: '10m',
    fires: [{ ...backupJob, severity: 'warning' }],
  },
  {
    alert: 'PostgresBackupFailed',
    name: 'stays silent when the last backup succeeded after it was scheduled',
    series: [
      ['kube_cronjob_status_last_schedule_time', backupJob, `${2 * DAY}x15`],
      ['kube_cronjob_status_last_successful_time', backupJob, `${2 * DAY + 300}x15`],
      ['kube_cronjob_status_active', backupJob, '0x15'],
    ],
    at: '10m',
    fires: [],
  },
  {
    alert: 'PostgresBackupFailed',
    name: 'stays silent while the scheduled backup is still running',
    series: [
      ['kube_cronjob_status_last_schedule_time', backupJob, `${2 * DAY}x15`],
      ['kube_cronjob_status_last_successful_time', backupJob, `${DAY + 300}x15`],
      ['kube_cronjob_status_active', backupJob, '1x15'],
    ],
    at: '10m',
    fires: [],
  },
  {
    alert: 'PostgresBackupStale',
    name: 'fires when the last successful backup is 28 hours old (limit 26)',
    series: [['kube_cronjob_status_last_successful_time', backupJob, '0x30']],
    at: '28h',
    interval: '1h',
    fires: [{ ...backupJob, severity: 'critical' }],
  },
  {
    alert: 'PostgresBackupStale',
    name: 'fires when no backup has succeeded since the CronJob was created 28 hours ago',
    series: [['kube_cronjob_created', backupJob, '0x30']],
    at: '28h',
    interval: '1h',
    fires: [{ ...backupJob, severity: 'critical' }],
  },
  {
    alert: 'PostgresBackupStale',
    name: 'stays silent when the last successful backup is 25 hours old',
    series: [['kube_cronjob_status_last_successful_time', backupJob, `${3 * 3600}x30`]],
    at: '28h',
    interval: '1h',
    fires: [],
  },
  {
    alert: 'PostgresBackupStale',
    name: 'stays silent for a CronJob created 8 hours ago that has not run yet',
    series: [['kube_cronjob_created', backupJob, `${20 * 3600}x30`]],
    at: '28h',
    interval: '1h',
    fires: [],
  },
  {
    alert: 'PostgresBackupStale',
    name: 'stays silent at 28 hours when the limit is set to 48',
    series: [['kube_cronjob_status_last_successful_time', backupJob, '0x30']],
    at: '28h',
    interval: '1h',
    fires: [],
    options: { backupMaxAgeHours: 48 },
  },
  {
    alert: 'PostgresRestoreDrillFailed',
    name: 'fires when the last restore drill finished without succeeding',
    series: [
      ['kube_cronjob_status_last_schedule_time', drillJob, `${8 * DAY}x15`],
      ['kube_cronjob_status_last_successful_time', drillJob, `${DAY + 900}x15`],
      ['kube_cronjob_status_active', drillJob, '0x15'],
    ],
    at: '10m',
    fires: [{ ...drillJob, severity: 'warning' }],
  },
  {
    alert: 'PostgresRestoreDrillFailed',
    name: 'stays silent when the last restore drill succeeded',
    series: [
      ['kube_cronjob_status_last_schedule_time', drillJob, `${8 * DAY}x15`],
      ['kube_cronjob_status_last_successful_time', drillJob, `${8 * DAY + 900}x15`],
      ['kube_cronjob_status_active', drillJob, '0x15'],
    ],
    at: '10m',
    fires: [],
  },
  // ---- platform ----
  {
    alert: 'ContainerCpuNearLimit',
    name: 'fires when a container uses 96% of its CPU limit',
    series: [
      ['container_cpu_usage_seconds_total', cadvisor(NS, 'backend-a', 'backend'), '0+28.8x40'],
      ['kube_pod_container_resource_limits', limit(NS, 'backend-a', 'backend', 'cpu', 'core'), '0.5x40'],
    ],
    at: '30m',
    fires: [{ namespace: NS, pod: 'backend-a', container: 'backend', severity: 'warning' }],
  },
  {
    alert: 'ContainerCpuNearLimit',
    name: 'stays silent at 40% of the CPU limit',
    series: [
      ['container_cpu_usage_seconds_total', cadvisor(NS, 'backend-a', 'backend'), '0+12x40'],
      ['kube_pod_container_resource_limits', limit(NS, 'backend-a', 'backend', 'cpu', 'core'), '0.5x40'],
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'ContainerCpuNearLimit',
    name: 'stays silent about a busy container outside the Gravl namespaces',
    series: [
      ['container_cpu_usage_seconds_total', cadvisor('kube-system', 'coredns-a', 'coredns'), '0+28.8x40'],
      ['kube_pod_container_resource_limits', limit('kube-system', 'coredns-a', 'coredns', 'cpu', 'core'), '0.5x40'],
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'ContainerMemoryNearLimit',
    name: 'fires when a working set reaches 500Mi of a 512Mi limit',
    series: [
      ['container_memory_working_set_bytes', cadvisor('gravl-monitoring', 'loki-0', 'loki'), `${500 * MiB}x40`],
      ['kube_pod_container_resource_limits', limit('gravl-monitoring', 'loki-0', 'loki', 'memory', 'byte'), `${512 * MiB}x40`],
    ],
    at: '30m',
    fires: [{ namespace: 'gravl-monitoring', pod: 'loki-0', container: 'loki', severity: 'warning' }],
  },
  {
    alert: 'ContainerMemoryNearLimit',
    name: 'stays silent at 200Mi of 512Mi, ignoring the pod-level cgroup series',
    series: [
      ['container_memory_working_set_bytes', cadvisor('gravl-monitoring', 'loki-0', 'loki'), `${200 * MiB}x40`],
      ['container_memory_working_set_bytes', cadvisor('gravl-monitoring', 'loki-0', ''), `${600 * MiB}x40`],
      ['kube_pod_container_resource_limits', limit('gravl-monitoring', 'loki-0', 'loki', 'memory', 'byte'), `${512 * MiB}x40`],
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'ContainerCpuThrottled',
    name: 'fires when half of the CPU periods are throttled',
    series: [
      ['container_cpu_cfs_periods_total', cadvisor(NS, 'backend-a', 'backend'), '0+600x40'],
      ['container_cpu_cfs_throttled_periods_total', cadvisor(NS, 'backend-a', 'backend'), '0+300x40'],
    ],
    at: '30m',
    fires: [{ namespace: NS, pod: 'backend-a', container: 'backend', severity: 'warning' }],
  },
  {
    alert: 'ContainerCpuThrottled',
    name: 'stays silent when 5% of the CPU periods are throttled',
    series: [
      ['container_cpu_cfs_periods_total', cadvisor(NS, 'backend-a', 'backend'), '0+600x40'],
      ['container_cpu_cfs_throttled_periods_total', cadvisor(NS, 'backend-a', 'backend'), '0+30x40'],
    ],
    at: '30m',
    fires: [],
  },
  {
    alert: 'CrashLoopBackOff',
    name: 'fires for Loki crash-looping in the monitoring namespace, across the moments it runs',
    series: [
      [
        'kube_pod_container_status_waiting_reason',
        { ...ksm, namespace: 'gravl-monitoring', pod: 'loki-0', container: 'loki', reason: 'CrashLoopBackOff' },
        Array.from({ length: 25 }, (_, i) => (i % 4 === 3 ? 'stale' : '1')).join(' '),
      ],
    ],
    at: '20m',
    fires: [{ namespace: 'gravl-monitoring', pod: 'loki-0', container: 'loki', severity: 'warning' }],
  },
  {
    alert: 'CrashLoopBackOff',
    name: 'stays silent for a container waiting in ContainerCreating',
    series: [['kube_pod_container_status_waiting_reason', { ...ksm, namespace: NS, pod: 'backend-a', container: 'backend', reason: 'ContainerCreating' }, '1x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'CrashLoopBackOff',
    name: 'stays silent about crash loops outside the Gravl namespaces',
    series: [['kube_pod_container_status_waiting_reason', { ...ksm, namespace: 'kube-system', pod: 'coredns-a', container: 'coredns', reason: 'CrashLoopBackOff' }, '1x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'PersistentVolumeFillingUp',
    name: 'fires when a volume has 5% of its capacity free',
    series: [
      ['kubelet_volume_stats_available_bytes', volume, `${0.5 * GiB}x20`],
      ['kubelet_volume_stats_capacity_bytes', volume, `${10 * GiB}x20`],
    ],
    at: '15m',
    fires: [{ ...volume, severity: 'warning' }],
  },
  {
    alert: 'PersistentVolumeFillingUp',
    name: 'stays silent when a volume has half of its capacity free',
    series: [
      ['kubelet_volume_stats_available_bytes', volume, `${5 * GiB}x20`],
      ['kubelet_volume_stats_capacity_bytes', volume, `${10 * GiB}x20`],
    ],
    at: '15m',
    fires: [],
  },
  {
    alert: 'CertificateExpiringSoon',
    name: 'fires when a certificate expires in 10 days',
    series: [['certmanager_certificate_expiration_timestamp_seconds', certificate, `${10 * DAY}x15`]],
    at: '2h',
    interval: '10m',
    fires: [{ ...certificate, severity: 'warning' }],
  },
  {
    alert: 'CertificateExpiringSoon',
    name: 'stays silent when a certificate expires in 60 days',
    series: [['certmanager_certificate_expiration_timestamp_seconds', certificate, `${60 * DAY}x15`]],
    at: '2h',
    interval: '10m',
    fires: [],
  },
  {
    alert: 'CertificateExpiringSoon',
    name: 'stays silent for a certificate not issued yet (expiry 0)',
    series: [['certmanager_certificate_expiration_timestamp_seconds', certificate, '0x15']],
    at: '2h',
    interval: '10m',
    fires: [],
  },
  // ---- the edge ----
  ...edgeCases(),
  // ---- meta-monitoring: the watchers watched ----
  {
    alert: 'Watchdog',
    name: 'fires always, with no input at all',
    series: [],
    at: '1m',
    fires: [{ severity: 'none' }],
  },
  {
    alert: 'TargetDown',
    name: 'fires for each job when every scrape target is down',
    series: ALL_JOBS.map((job) => ['up', target(job), '0x15'] as const),
    at: '10m',
    fires: ALL_JOBS.map((job) => ({ ...target(job), severity: 'warning' })),
  },
  {
    alert: 'TargetDown',
    name: 'fires for each job, the edge jobs included, when every scrape target is down',
    series: [...ALL_JOBS, 'edge-gateway', 'edge-ingress'].map((job) => ['up', target(job), '0x15'] as const),
    at: '10m',
    fires: [...ALL_JOBS, 'edge-gateway', 'edge-ingress'].map((job) => ({ ...target(job), severity: 'warning' })),
    options: { host: 'gravl.app', edges: ['gateway', 'ingress'] },
  },
  {
    alert: 'TargetDown',
    name: 'fires for a job that has no target at all (its pods gone, or discovery finds none)',
    series: ALL_JOBS.filter((job) => job !== 'loki').map((job) => ['up', target(job), '1x15'] as const),
    at: '10m',
    fires: [{ job: 'loki', severity: 'warning' }],
  },
  {
    alert: 'TargetDown',
    name: "names the namespace of a job of the application's with no target, as BackendDown's inhibition matches on",
    series: ALL_JOBS.filter((job) => job !== 'backend').map((job) => ['up', target(job), '1x15'] as const),
    at: '10m',
    fires: [{ job: 'backend', namespace: NS, severity: 'warning' }],
  },
  {
    alert: 'TargetDown',
    name: 'stays silent while every job has its targets up',
    series: ALL_JOBS.map((job) => ['up', target(job), '1x15'] as const),
    at: '10m',
    fires: [],
  },
  {
    alert: 'KubeStateMetricsAbsent',
    name: 'fires when kube-state-metrics is down (the backup alerts cannot fire then)',
    series: [['up', target('kube-state-metrics'), '0x15'], ['kube_cronjob_created', backupJob, '0x2']],
    at: '10m',
    fires: [{ job: 'kube-state-metrics', severity: 'critical' }],
  },
  {
    alert: 'KubeStateMetricsAbsent',
    name: 'fires when kube-state-metrics is not scraped at all',
    series: [['up', target('prometheus'), '1x15']],
    at: '10m',
    fires: [{ job: 'kube-state-metrics', severity: 'critical' }],
  },
  {
    alert: 'KubeStateMetricsAbsent',
    name: 'stays silent while kube-state-metrics is up',
    series: [['up', target('kube-state-metrics'), '1x15']],
    at: '10m',
    fires: [],
  },
  {
    alert: 'PostgresBackupMetricsAbsent',
    name: 'fires for both CronJobs when kube-state-metrics reports neither',
    series: [['up', target('kube-state-metrics'), '0x25']],
    at: '20m',
    fires: [{ ...backupJob, severity: 'critical' }, { ...drillJob, severity: 'critical' }],
  },
  {
    alert: 'PostgresBackupMetricsAbsent',
    name: 'fires for the backup CronJob when only the drill is reported',
    series: [['kube_cronjob_created', drillJob, '0x25']],
    at: '20m',
    fires: [{ ...backupJob, severity: 'critical' }],
  },
  {
    alert: 'PostgresBackupMetricsAbsent',
    name: 'stays silent while both CronJobs are reported',
    series: [['kube_cronjob_created', backupJob, '0x25'], ['kube_cronjob_created', drillJob, '0x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'CertManagerMetricsAbsent',
    name: 'fires when the cert-manager scrape fails (certificate expiry goes quiet)',
    series: [['up', target('cert-manager'), '0x25']],
    at: '20m',
    fires: [{ job: 'cert-manager', severity: 'warning' }],
  },
  {
    alert: 'CertManagerMetricsAbsent',
    name: 'fires when cert-manager is up but reports no certificate',
    series: [['up', target('cert-manager'), '1x25']],
    at: '20m',
    fires: [{ job: 'cert-manager', severity: 'warning' }],
  },
  {
    alert: 'CertManagerMetricsAbsent',
    name: 'stays silent while cert-manager is up and reports certificates',
    series: [['up', target('cert-manager'), '1x25'], ['certmanager_certificate_expiration_timestamp_seconds', certificate, `${60 * DAY}x25`]],
    at: '20m',
    fires: [],
  },
  {
    alert: 'AlertmanagerNotificationsFailing',
    name: 'fires when Alertmanager fails to deliver to Slack',
    series: [['alertmanager_notifications_failed_total', { ...target('alertmanager'), integration: 'slack' }, '0+2x25']],
    at: '20m',
    fires: [{ integration: 'slack', severity: 'critical' }],
  },
  {
    alert: 'AlertmanagerNotificationsFailing',
    name: 'stays silent while no delivery fails',
    series: [['alertmanager_notifications_failed_total', { ...target('alertmanager'), integration: 'slack' }, '3x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'PrometheusRuleEvaluationFailures',
    name: 'fires when a rule group fails to evaluate',
    series: [['prometheus_rule_evaluation_failures_total', { ...target('prometheus'), rule_group: '/etc/prometheus/rules/gravl-alerts.yaml;gravl-database' }, '0+1x25']],
    at: '20m',
    fires: [{ rule_group: '/etc/prometheus/rules/gravl-alerts.yaml;gravl-database', severity: 'critical' }],
  },
  {
    alert: 'PrometheusRuleEvaluationFailures',
    name: 'stays silent while every rule evaluates',
    series: [['prometheus_rule_evaluation_failures_total', { ...target('prometheus'), rule_group: 'x;gravl-database' }, '0x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'PrometheusNotConnectedToAlertmanager',
    name: 'fires when Prometheus discovers no Alertmanager',
    series: [['prometheus_notifications_alertmanagers_discovered', target('prometheus'), '0x25']],
    at: '20m',
    fires: [{ ...target('prometheus'), severity: 'critical' }],
  },
  {
    alert: 'PrometheusNotConnectedToAlertmanager',
    name: 'stays silent while Prometheus has its Alertmanager',
    series: [['prometheus_notifications_alertmanagers_discovered', target('prometheus'), '1x25']],
    at: '20m',
    fires: [],
  },
  {
    alert: 'PrometheusErrorSendingAlerts',
    name: 'fires when 5% of the alerts sent to Alertmanager fail',
    series: [
      ['prometheus_notifications_errors_total', { ...target('prometheus'), alertmanager: 'http://10.0.0.7:9093/api/v2/alerts' }, '0+5x25'],
      ['prometheus_notifications_sent_total', { ...target('prometheus'), alertmanager: 'http://10.0.0.7:9093/api/v2/alerts' }, '0+100x25'],
    ],
    at: '20m',
    fires: [{ alertmanager: 'http://10.0.0.7:9093/api/v2/alerts', severity: 'critical' }],
  },
  {
    alert: 'PrometheusErrorSendingAlerts',
    name: 'stays silent while every alert is sent',
    series: [
      ['prometheus_notifications_errors_total', { ...target('prometheus'), alertmanager: 'http://10.0.0.7:9093/api/v2/alerts' }, '0x25'],
      ['prometheus_notifications_sent_total', { ...target('prometheus'), alertmanager: 'http://10.0.0.7:9093/api/v2/alerts' }, '0+100x25'],
    ],
    at: '20m',
    fires: [],
  },
  {
    alert: 'PrometheusConfigReloadFailed',
    name: 'fires when the last configuration reload failed',
    series: [['prometheus_config_last_reload_successful', target('prometheus'), '0x25']],
    at: '20m',
    fires: [{ pod: 'prometheus-0', severity: 'warning' }],
  },
  {
    alert: 'PrometheusConfigReloadFailed',
    name: 'stays silent after a successful reload',
    series: [['prometheus_config_last_reload_successful', target('prometheus'), '1x25']],
    at: '20m',
    fires: [],
  },
];

/** Alerts without a silent case, each with the reason. */
const ALWAYS_FIRING: Readonly<Record<string, string>> = { Watchdog: 'it fires always, by design: the dead-man\'s switch pages when it stops arriving' };

/** Annotations render with the values that made the alert fire. */
const ANNOTATION_CASES: readonly Case[] = [
  {
    alert: 'HighErrorRate',
    name: 'describes a 2% 5xx share as 2% against the 1% threshold',
    series: [requests('200', 98), requests('500', 2)],
    at: '15m',
    fires: [{ namespace: NS, severity: 'critical' }],
    annotations: {
      summary: `Backend 5xx responses above 1% in ${NS}`,
      description: `2% of backend requests in ${NS} failed with a 5xx status over the last 5 minutes (threshold 1%).`,
      runbook: 'Open the Gravl "Error Rate" dashboard to find the failing routes, read the backend logs in Grafana (Loki), and roll back the last release if the errors started with it.',
    },
  },
  {
    alert: 'HighRequestLatency',
    name: 'describes a p95 of 350 ms in milliseconds',
    series: latency({ '50': 50, '100': 90, '200': 90, '500': 100, '+Inf': 100 }),
    at: '25m',
    fires: [{ namespace: NS, severity: 'warning' }],
    annotations: {
      summary: `Backend p95 latency above 200 ms in ${NS}`,
      description: `The backend's 95th percentile request latency in ${NS} is 350 ms over the last 5 minutes (target below 200 ms).`,
      runbook: 'Open the Gravl "Latency" dashboard, check backend CPU throttling and Postgres connections, and scale the backend out if it is saturated.',
    },
  },
  {
    alert: 'CrashLoopBackOff',
    name: 'names the crash-looping container and the command that shows why',
    series: [['kube_pod_container_status_waiting_reason', { ...ksm, namespace: 'gravl-monitoring', pod: 'loki-0', container: 'loki', reason: 'CrashLoopBackOff' }, '1x25']],
    at: '20m',
    fires: [{ namespace: 'gravl-monitoring', pod: 'loki-0', container: 'loki', severity: 'warning' }],
    annotations: {
      summary: 'Container loki of gravl-monitoring/loki-0 is in CrashLoopBackOff',
      description: 'Container loki of gravl-monitoring/loki-0 keeps crashing and Kubernetes is backing off its restarts.',
      runbook:
        'Read kubectl -n gravl-monitoring logs loki-0 -c loki --previous and the events of kubectl -n gravl-monitoring describe pod loki-0 (a missing Secret, an unknown StorageClass or a failing probe are the usual causes).',
    },
  },
];

function seriesText(metric: string, labels: Labels): string {
  return `${metric}{${Object.entries(labels).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}}`;
}

function withoutAnnotations(rules: { groups: RuleGroup[] }): unknown {
  return { groups: rules.groups.map((g) => ({ ...g, rules: g.rules.map(({ annotations: _annotations, ...rule }) => rule) })) };
}

function promtoolTest(c: Case): Record<string, unknown> {
  const interval = c.interval ?? '1m';
  return {
    name: `${c.alert} ${c.name}`,
    interval,
    input_series: c.series.map(([metric, labels, values]) => ({ series: seriesText(metric, labels), values })),
    alert_rule_test: [
      {
        eval_time: c.at,
        alertname: c.alert,
        exp_alerts: c.fires.map((labels) => ({ exp_labels: labels, ...(c.annotations ? { exp_annotations: c.annotations } : {}) })),
      },
    ],
  };
}

describe('alert rules, unit-tested with promtool test rules', () => {
  let dir: string;
  const ruleFiles = new Map<string, string>();
  const caseFiles = new Map<Case, string>();
  let batch: Promise<ToolRun>;

  /**
   * The rules file for a case: the group holding the case's alert, with that rule exactly as
   * rendered for the case's options (annotations kept only for annotation cases). Rules are
   * independent of each other; evaluating only the one under test keeps promtool fast.
   */
  function rulesFileFor(c: Case): string {
    const key = JSON.stringify({ alert: c.alert, options: c.options ?? {}, annotations: c.annotations !== undefined });
    let file = ruleFiles.get(key);
    if (!file) {
      const rendered = alertRules({ namespace: NS, ...c.options });
      const group = rendered.groups.find((g) => g.rules.some((r) => r.alert === c.alert));
      if (!group) throw new Error(`no alert ${c.alert} in the rules file`);
      const rules = { groups: [{ ...group, rules: group.rules.filter((r) => r.alert === c.alert) }] };
      file = writeYaml(dir, `rules-${ruleFiles.size}.yaml`, c.annotations ? rules : withoutAnnotations(rules));
      ruleFiles.set(key, file);
    }
    return file;
  }

  /** One promtool test file holding one case. */
  function caseFile(c: Case, index: number): string {
    return writeYaml(dir, `case-${index}.test.yaml`, {
      rule_files: [path.basename(rulesFileFor(c))],
      evaluation_interval: c.interval ?? '1m',
      tests: [promtoolTest(c)],
    });
  }

  /** Cases whose file could not be written (an alert the rules file lacks): each fails on its own, by name. */
  const setupErrors = new Map<Case, unknown>();

  beforeAll(() => {
    dir = scratchDir('alert-tests');
    // A broken rules file must fail the cases it breaks, each by name: a hook that throws would
    // report every case as skipped instead.
    [...CASES, ...ANNOTATION_CASES].forEach((c, i) => {
      try {
        caseFiles.set(c, caseFile(c, i));
      } catch (error) {
        setupErrors.set(c, error);
      }
    });
    batch = runTool('promtool', ['test', 'rules', ...caseFiles.values()], dir);
  });
  afterAll(() => removeDir(dir));

  /** Passes when the batch passed (promtool exits 0 only if every case did); otherwise reruns the case alone. */
  async function expectCasePasses(c: Case): Promise<void> {
    if (setupErrors.has(c)) throw setupErrors.get(c);
    const all = await batch;
    if (all.code === 0) {
      expect(all.output).toContain('SUCCESS');
      return;
    }
    const own = await runTool('promtool', ['test', 'rules', caseFiles.get(c)!], dir);
    expect(own.code, own.output).toBe(0);
  }

  for (const alert of [...new Set(CASES.map((c) => c.alert))]) {
    describe(alert, () => {
      for (const c of CASES.filter((x) => x.alert === alert)) it(c.name, () => expectCasePasses(c));
    });
  }

  describe('annotations', () => {
    for (const c of ANNOTATION_CASES) it(`${c.alert} ${c.name}`, () => expectCasePasses(c));
  });

  it('has a firing case and a silent case for every alert in the rules file', () => {
    const alerts = alertRules({ namespace: NS }).groups.flatMap((g) => g.rules.map((r) => r.alert));
    for (const alert of alerts) {
      const cases = CASES.filter((c) => c.alert === alert && c.options === undefined);
      expect(cases.some((c) => c.fires.length > 0), `${alert} has a case where it fires`).toBe(true);
      if (!ALWAYS_FIRING[alert]) expect(cases.some((c) => c.fires.length === 0), `${alert} has a case where it stays silent`).toBe(true);
    }
    // The edge alert exists only with a host and an edge: its cases give both.
    const edgeCasesGiven = CASES.filter((c) => c.alert === 'EdgeHighErrorRate');
    expect(edgeCasesGiven.some((c) => c.fires.length > 0) && edgeCasesGiven.some((c) => c.fires.length === 0)).toBe(true);
  });

  it('fails a case whose expectation is wrong, so a passing run means the alerts behave as stated', async () => {
    const wrong: Case = { ...CASES.find((c) => c.alert === 'HighErrorRate' && c.fires.length === 0)!, name: 'wrongly expected to fire', fires: [{ namespace: NS, severity: 'critical' }] };
    const run = await runTool('promtool', ['test', 'rules', caseFile(wrong, 9999)], dir);
    expect(run.code, run.output).not.toBe(0);
    expect(run.output).toContain('FAILED');
  });
});
