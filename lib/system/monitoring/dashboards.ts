/**
 * Grafana: the three dashboards of the sign-off (Request Rate, Latency, Error Rate) built from the
 * backend's metrics, and the provisioning files that load them and the data sources. Dashboards
 * have fixed uids and reference the Prometheus data source by its fixed uid, so links and
 * provisioning survive a Grafana reinstall.
 */
import { checkCodeOptions } from '../../kit/options';
import { SIGN_OFF } from '../../model/sign-off';
import { percent, edgeErrorRatio } from './alert-rules';
import { DATASOURCE_UIDS, GRAFANA_DASHBOARDS_DIR, GRAFANA_FOLDER, LOKI, MONITORING_NAMESPACE, PROMETHEUS, SCRAPE_JOBS } from '../names';
import { serviceHost } from '../../kit/pod-workload';
import { SCRAPE_INTERVAL } from './prometheus-config';
import { type EdgeScrapeKind } from '../../contract';

/** Dashboard uids, fixed so that links and bookmarks keep working. */
export const DASHBOARD_UIDS = {
  requestRate: 'gravl-request-rate',
  latency: 'gravl-latency',
  errorRate: 'gravl-error-rate',
} as const;

/** The file name of each dashboard in the dashboards folder. */
export const DASHBOARD_FILES = {
  requestRate: 'request-rate.json',
  latency: 'latency.json',
  errorRate: 'error-rate.json',
} as const;

/** Options of {@link dashboards}. */
export interface DashboardOptions {
  /** The app namespace the dashboards' `namespace` variable starts on, e.g. `gravl-staging`. */
  readonly namespace: string;
  /**
   * Where the Latency dashboard draws its threshold line, in milliseconds.
   * @default 200 (the signed-off p95 target)
   */
  readonly latencyP95Ms?: number;
  /**
   * Where the Error Rate dashboard draws its threshold line, as a ratio.
   * @default 0.01 (1%)
   */
  readonly errorRateThreshold?: number;
  /**
   * The public host and what serves it: the Error Rate dashboard adds the 5xx share answered at
   * the edge, with the sign-off's 0.1% as its line. @default no edge panel
   */
  readonly edge?: { readonly host: string; readonly kinds: readonly EdgeScrapeKind[] };
}

/** Options of {@link grafanaDatasources}. */
export interface GrafanaDatasourceOptions {
  /**
   * Prometheus's URL as Grafana's server reaches it.
   * @default 'http://prometheus.gravl-monitoring.svc.cluster.local:9090'
   */
  readonly prometheusUrl?: string;
  /**
   * Loki's URL as Grafana's server reaches it.
   * @default 'http://loki.gravl-monitoring.svc.cluster.local:3100'
   */
  readonly lokiUrl?: string;
}

const PROMETHEUS_DATASOURCE = { type: 'prometheus', uid: DATASOURCE_UIDS.prometheus } as const;

/** The backend's series in the namespace the dashboard variable selects. */
const BACKEND_SELECTOR = `job="${SCRAPE_JOBS.backend}", namespace="$namespace"`;

interface Target {
  readonly expr: string;
  readonly legendFormat: string;
}

interface Threshold {
  readonly value: number;
  /** `line` draws it across a time series; `background` colours a stat. */
  readonly style: 'line' | 'background';
}

interface GridPos {
  readonly x: number;
  readonly y: number;
  readonly w: number;
  readonly h: number;
}

function fieldConfig(unit: string, threshold?: Threshold): Record<string, unknown> {
  return {
    defaults: {
      unit,
      min: 0,
      thresholds: {
        mode: 'absolute',
        steps: [{ color: 'green', value: null }, ...(threshold ? [{ color: 'red', value: threshold.value }] : [])],
      },
      ...(threshold?.style === 'line' ? { custom: { thresholdsStyle: { mode: 'line' } } } : {}),
    },
    overrides: [],
  };
}

function targets(list: readonly Target[]): Record<string, unknown>[] {
  return list.map((t, i) => ({
    refId: String.fromCharCode(65 + i),
    datasource: PROMETHEUS_DATASOURCE,
    expr: t.expr,
    legendFormat: t.legendFormat,
  }));
}

function timeseries(id: number, title: string, gridPos: GridPos, unit: string, list: readonly Target[], threshold?: number): Record<string, unknown> {
  return {
    id,
    type: 'timeseries',
    title,
    gridPos,
    datasource: PROMETHEUS_DATASOURCE,
    targets: targets(list),
    fieldConfig: fieldConfig(unit, threshold === undefined ? undefined : { value: threshold, style: 'line' }),
    options: { legend: { displayMode: 'table', placement: 'right', calcs: ['lastNotNull', 'max'] }, tooltip: { mode: 'multi', sort: 'desc' } },
  };
}

function stat(id: number, title: string, gridPos: GridPos, unit: string, target: Target, threshold?: number): Record<string, unknown> {
  return {
    id,
    type: 'stat',
    title,
    gridPos,
    datasource: PROMETHEUS_DATASOURCE,
    targets: targets([target]),
    fieldConfig: fieldConfig(unit, threshold === undefined ? undefined : { value: threshold, style: 'background' }),
    options: { reduceOptions: { calcs: ['lastNotNull'], fields: '', values: false }, colorMode: threshold === undefined ? 'value' : 'background', graphMode: 'area' },
  };
}

function namespaceVariable(namespace: string): Record<string, unknown> {
  const query = `label_values(http_requests_total{job="${SCRAPE_JOBS.backend}"}, namespace)`;
  return {
    name: 'namespace',
    label: 'Namespace',
    type: 'query',
    datasource: PROMETHEUS_DATASOURCE,
    query,
    definition: query,
    refresh: 2,
    current: { selected: true, text: namespace, value: namespace },
    options: [],
    includeAll: false,
    multi: false,
    sort: 1,
    hide: 0,
  };
}

function dashboard(uid: string, title: string, description: string, namespace: string, panels: Record<string, unknown>[]): Record<string, unknown> {
  return {
    id: null,
    uid,
    title,
    description,
    tags: ['gravl'],
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    version: 1,
    time: { from: 'now-6h', to: 'now' },
    timepicker: {},
    timezone: 'browser',
    refresh: '30s',
    templating: { list: [namespaceVariable(namespace)] },
    annotations: { list: [] },
    links: [{ type: 'dashboards', tags: ['gravl'], asDropdown: true, title: 'Gravl dashboards', includeVars: true, keepTime: true }],
    panels,
  };
}

function rate(extraMatchers = ''): string {
  return `rate(http_requests_total{${BACKEND_SELECTOR}${extraMatchers}}[$__rate_interval])`;
}

function latencyQuantile(q: number, by = 'le'): string {
  return `histogram_quantile(${q}, sum by (${by}) (rate(request_duration_ms_bucket{${BACKEND_SELECTOR}}[$__rate_interval])))`;
}

const ERROR_RATIO = `sum(${rate(', status=~"5.."')}) / sum(${rate()})`;

/**
 * The options with their defaults. The namespace comes from the environment file and is taken as
 * the model validated it; a wrong threshold (set in code) is a programming error, thrown as an
 * `Error` naming each.
 */
function resolve(options: DashboardOptions): Required<Omit<DashboardOptions, 'edge'>> {
  const resolved = { namespace: options.namespace, latencyP95Ms: options.latencyP95Ms ?? SIGN_OFF.latencyP95Ms, errorRateThreshold: options.errorRateThreshold ?? SIGN_OFF.alertErrorRate };
  checkCodeOptions('dashboards', (check) => {
    check('latencyP95Ms', typeof resolved.latencyP95Ms === 'number' && Number.isFinite(resolved.latencyP95Ms) && resolved.latencyP95Ms > 0, resolved.latencyP95Ms, 'a positive number of milliseconds');
    const ratio = resolved.errorRateThreshold;
    check('errorRateThreshold', typeof ratio === 'number' && Number.isFinite(ratio) && ratio > 0 && ratio < 1, ratio, 'a ratio between 0 and 1 (exclusive), such as 0.01 for 1%');
  });
  return resolved;
}

/**
 * The three dashboards, by file name (`request-rate.json`, `latency.json`, `error-rate.json`), as
 * Grafana dashboard JSON. Queries use Grafana's `$__rate_interval` and the `namespace` variable.
 * Throws an `Error` naming every wrong option set in code.
 */
export function dashboards(options: DashboardOptions): Record<string, Record<string, unknown>> {
  const o = resolve(options);
  const ns = o.namespace;
  return {
    [DASHBOARD_FILES.requestRate]: dashboard(DASHBOARD_UIDS.requestRate, 'Request Rate', 'Requests per second served by the Gravl backend.', ns, [
      stat(1, 'Requests per second', { x: 0, y: 0, w: 24, h: 4 }, 'reqps', { expr: `sum(${rate()})`, legendFormat: 'all' }),
      timeseries(2, 'Requests per second by status', { x: 0, y: 4, w: 12, h: 10 }, 'reqps', [{ expr: `sum by (status) (${rate()})`, legendFormat: '{{status}}' }]),
      timeseries(3, 'Requests per second by route', { x: 12, y: 4, w: 12, h: 10 }, 'reqps', [{ expr: `sum by (method, route) (${rate()})`, legendFormat: '{{method}} {{route}}' }]),
    ]),
    [DASHBOARD_FILES.latency]: dashboard(DASHBOARD_UIDS.latency, 'Latency', `Backend request latency percentiles; the signed-off p95 target is below ${o.latencyP95Ms} ms.`, ns, [
      timeseries(1, 'Request latency (p50, p95, p99)', { x: 0, y: 0, w: 24, h: 10 }, 'ms', [
        { expr: latencyQuantile(0.5), legendFormat: 'p50' },
        { expr: latencyQuantile(0.95), legendFormat: 'p95' },
        { expr: latencyQuantile(0.99), legendFormat: 'p99' },
      ], o.latencyP95Ms),
      stat(2, 'p95 latency', { x: 0, y: 10, w: 8, h: 5 }, 'ms', { expr: latencyQuantile(0.95), legendFormat: 'p95' }, o.latencyP95Ms),
      stat(3, 'p99 latency', { x: 8, y: 10, w: 8, h: 5 }, 'ms', { expr: latencyQuantile(0.99), legendFormat: 'p99' }),
      stat(4, 'p50 latency', { x: 16, y: 10, w: 8, h: 5 }, 'ms', { expr: latencyQuantile(0.5), legendFormat: 'p50' }),
    ]),
    [DASHBOARD_FILES.errorRate]: dashboard(DASHBOARD_UIDS.errorRate, 'Error Rate', `Share of backend requests answered with a 5xx status; the HighErrorRate alert fires above ${percent(o.errorRateThreshold)}.`, ns, [
      timeseries(1, '5xx error ratio', { x: 0, y: 0, w: 16, h: 10 }, 'percentunit', [{ expr: ERROR_RATIO, legendFormat: '5xx ratio' }], o.errorRateThreshold),
      stat(2, '5xx error ratio', { x: 16, y: 0, w: 8, h: 10 }, 'percentunit', { expr: ERROR_RATIO, legendFormat: '5xx ratio' }, o.errorRateThreshold),
      timeseries(3, '5xx responses per second by route', { x: 0, y: 10, w: 24, h: 10 }, 'reqps', [
        { expr: `sum by (method, route, status) (${rate(', status=~"5.."')})`, legendFormat: '{{status}} {{method}} {{route}}' },
      ]),
      // What the backend never saw: 502, 503 and 504 answered by the edge itself.
      ...(options.edge && options.edge.kinds.length
        ? [timeseries(4, `5xx answered at the edge for ${options.edge.host}`, { x: 0, y: 20, w: 24, h: 10 }, 'percentunit', options.edge.kinds.map((kind) => ({ expr: edgeErrorRatio(kind, options.edge!.host, '$__rate_interval'), legendFormat: '{{job}}' })), SIGN_OFF.loadTestErrorRate)]
        : []),
    ]),
  };
}

/**
 * Grafana's data source provisioning file: Prometheus (uid `prometheus`, the default) and Loki
 * (uid `loki`), read-only in the UI.
 */
export function grafanaDatasources(options: GrafanaDatasourceOptions = {}): Record<string, unknown> {
  const prometheusUrl = options.prometheusUrl ?? `http://${serviceHost(PROMETHEUS.service, MONITORING_NAMESPACE)}:${PROMETHEUS.port.port}`;
  const lokiUrl = options.lokiUrl ?? `http://${serviceHost(LOKI.service, MONITORING_NAMESPACE)}:${LOKI.port.port}`;
  // Both URLs are set in code (the Services' own): a wrong one is a programming error.
  checkCodeOptions('grafanaDatasources', (check) => {
    for (const [path, value] of [['prometheusUrl', prometheusUrl], ['lokiUrl', lokiUrl]] as const) check(path, /^https?:\/\/\S+$/.test(value), value, 'an http(s) URL');
  });
  return {
    apiVersion: 1,
    datasources: [
      {
        name: 'Prometheus',
        type: 'prometheus',
        uid: DATASOURCE_UIDS.prometheus,
        access: 'proxy',
        url: prometheusUrl,
        isDefault: true,
        editable: false,
        // Grafana's $__rate_interval is at least four scrape intervals.
        jsonData: { timeInterval: SCRAPE_INTERVAL, httpMethod: 'POST' },
      },
      {
        name: 'Loki',
        type: 'loki',
        uid: DATASOURCE_UIDS.loki,
        access: 'proxy',
        url: lokiUrl,
        isDefault: false,
        editable: false,
        jsonData: { maxLines: 1000 },
      },
    ],
  };
}

/** Grafana's dashboard provisioning file: the dashboards folder, shown in the "Gravl" folder, read-only. */
export function grafanaDashboardProvider(): Record<string, unknown> {
  return {
    apiVersion: 1,
    providers: [
      {
        name: 'gravl',
        orgId: 1,
        folder: GRAFANA_FOLDER,
        type: 'file',
        disableDeletion: true,
        allowUiUpdates: false,
        updateIntervalSeconds: 60,
        options: { path: GRAFANA_DASHBOARDS_DIR, foldersFromFilesStructure: false },
      },
    ],
  };
}
