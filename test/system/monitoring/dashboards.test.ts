import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboards, grafanaDashboardProvider, grafanaDatasources } from '../../../lib/system/monitoring/dashboards';
import { ProblemsError } from '../../../lib/model/problems';
import { thrownBy } from '../../support/thrown';
import { removeDir, runTool, scratchDir, writeYaml, type ToolRun } from '../../support/prom-tools';

const NS = 'gravl-staging';
const boards = dashboards({ namespace: NS, edge: { host: 'staging.gravl.app', kinds: ['gateway', 'ingress'] } });

type Panel = Record<string, any>;

interface Query {
  readonly where: string;
  readonly expr: string;
}

/** Every PromQL query of a dashboard: panel targets, and the selector inside the variable's label_values(). */
function queries(file: string, board: Record<string, any>): Query[] {
  const out: Query[] = [];
  for (const panel of board.panels as Panel[]) {
    for (const target of panel.targets as Panel[]) out.push({ where: `${file} panel "${panel.title}" ${target.refId}`, expr: target.expr });
  }
  for (const variable of board.templating.list as Panel[]) {
    const match = /^label_values\((.+), *([a-zA-Z_]\w*)\)$/.exec(variable.query);
    if (!match) throw new Error(`${file} variable ${variable.name}: not a label_values() query: ${variable.query}`);
    out.push({ where: `${file} variable ${variable.name}`, expr: match[1]! });
  }
  return out;
}

/** Grafana's variables replaced by what Grafana would send, so that promtool sees plain PromQL. */
function asSent(expr: string): string {
  return expr.replaceAll('$__rate_interval', '2m').replaceAll('$namespace', NS);
}

/** Every query as a recording rule, in one rules file for promtool check rules. */
function asRecordingRules(list: readonly Query[]): unknown {
  return { groups: [{ name: 'dashboard-queries', rules: list.map((q, i) => ({ record: `dashboard:query_${i}:check`, expr: asSent(q.expr) })) }] };
}

const allQueries = Object.entries(boards).flatMap(([file, board]) => queries(file, board));

describe('Grafana dashboards', () => {
  let dir: string;
  let checked: Promise<ToolRun>;

  beforeAll(() => {
    dir = scratchDir('dashboards');
    checked = runTool('promtool', ['check', 'rules', writeYaml(dir, 'dashboard-queries.yaml', asRecordingRules(allQueries))], dir);
  });
  afterAll(() => removeDir(dir));

  it('passes promtool check rules with every dashboard query as a recording rule', async () => {
    const run = await checked;
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${allQueries.length} rules found`);
    for (const q of allQueries) expect(asSent(q.expr), `${q.where} uses only $namespace and $__rate_interval`).not.toContain('$');
  });

  it('fails promtool check rules on a broken dashboard query, so the check above is real', async () => {
    const broken = [...allQueries, { where: 'broken', expr: 'histogram_quantile(0.95, sum by (le) (rate(request_duration_ms_bucket[$__rate_interval]))' }];
    const run = await runTool('promtool', ['check', 'rules', writeYaml(dir, 'broken.yaml', asRecordingRules(broken))], dir);
    expect(run.code).not.toBe(0);
  });

  it('renders the three dashboards of the sign-off with fixed uids', () => {
    expect(Object.keys(boards).sort()).toEqual(['error-rate.json', 'latency.json', 'request-rate.json']);
    expect(boards['request-rate.json']).toMatchObject({ uid: 'gravl-request-rate', title: 'Request Rate' });
    expect(boards['latency.json']).toMatchObject({ uid: 'gravl-latency', title: 'Latency' });
    expect(boards['error-rate.json']).toMatchObject({ uid: 'gravl-error-rate', title: 'Error Rate' });
  });

  it('adds the 5xx share answered at the edge to Error Rate, one query per edge kind, with the 0.1% line; none without an edge', () => {
    const panel = (boards['error-rate.json']!.panels as Panel[]).find((p) => p.title === '5xx answered at the edge for staging.gravl.app')!;
    expect((panel.targets as Panel[]).map((t) => t.expr)).toEqual([expect.stringContaining('job="edge-gateway"'), expect.stringContaining('job="edge-ingress", host="staging.gravl.app"')]);
    expect((panel.targets as Panel[])[0]!.expr).toContain('[$__rate_interval]');
    expect(panel.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: 'red', value: 0.001 });
    expect((dashboards({ namespace: NS })['error-rate.json']!.panels as Panel[]).map((p) => p.title)).not.toContain('5xx answered at the edge for staging.gravl.app');
  });

  it('references the Prometheus data source by uid in every panel, target and variable', () => {
    const datasource = { type: 'prometheus', uid: 'prometheus' };
    for (const [file, board] of Object.entries(boards)) {
      for (const panel of board.panels as Panel[]) {
        expect(panel.datasource, `${file} ${panel.title}`).toEqual(datasource);
        for (const target of panel.targets as Panel[]) expect(target.datasource, `${file} ${panel.title} ${target.refId}`).toEqual(datasource);
      }
      for (const variable of (board.templating as Panel).list as Panel[]) expect(variable.datasource).toEqual(datasource);
    }
  });

  it('selects the backend in the namespace variable, which starts on the app namespace of the options', () => {
    for (const [file, board] of Object.entries(boards)) {
      const [variable] = (board.templating as Panel).list as Panel[];
      expect(variable).toMatchObject({ name: 'namespace', type: 'query', current: { text: NS, value: NS } });
      // The edge panel reads the edge's jobs, by host: the backend never sees those 5xx.
      for (const q of queries(file, board).filter((x) => !x.where.includes('variable') && !x.where.includes('at the edge'))) {
        expect(q.expr, q.where).toContain('job="backend", namespace="$namespace"');
      }
    }
    expect(((dashboards({ namespace: 'gravl-prod' })['latency.json']!.templating as Panel).list as Panel[])[0]!.current.value).toBe('gravl-prod');
  });

  it('shows the request rate by status and by route', () => {
    const exprs = (boards['request-rate.json']!.panels as Panel[]).flatMap((p) => (p.targets as Panel[]).map((t) => t.expr));
    expect(exprs).toContainEqual(expect.stringMatching(/^sum by \(status\) \(rate\(http_requests_total\{/));
    expect(exprs).toContainEqual(expect.stringMatching(/^sum by \(method, route\) \(rate\(http_requests_total\{/));
  });

  it('shows p50, p95 and p99 latency from the millisecond histogram, with a threshold line at 200 ms', () => {
    const [panel] = boards['latency.json']!.panels as Panel[];
    expect((panel!.targets as Panel[]).map((t) => [t.legendFormat, t.expr.match(/^histogram_quantile\((0\.\d+), sum by \(le\) \(rate\(request_duration_ms_bucket\{/)?.[1]])).toEqual([
      ['p50', '0.5'],
      ['p95', '0.95'],
      ['p99', '0.99'],
    ]);
    expect(panel!.fieldConfig.defaults.unit).toBe('ms');
    expect(panel!.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: 'red', value: 200 });
    expect(panel!.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: 'line' });
  });

  it('shows the 5xx error ratio as a percentage, with a threshold line at 1%', () => {
    const [panel] = boards['error-rate.json']!.panels as Panel[];
    expect(panel!.targets[0].expr).toMatch(/^sum\(rate\(http_requests_total\{[^}]*status=~"5\.\."\}\[\$__rate_interval\]\)\) \/ sum\(rate\(http_requests_total\{/);
    expect(panel!.fieldConfig.defaults.unit).toBe('percentunit');
    expect(panel!.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: 'red', value: 0.01 });
    expect(panel!.fieldConfig.defaults.custom.thresholdsStyle).toEqual({ mode: 'line' });
  });

  it('takes the threshold lines from the options', () => {
    const custom = dashboards({ namespace: NS, latencyP95Ms: 150, errorRateThreshold: 0.001 });
    expect((custom['latency.json']!.panels as Panel[])[0]!.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: 'red', value: 150 });
    expect((custom['error-rate.json']!.panels as Panel[])[0]!.fieldConfig.defaults.thresholds.steps).toContainEqual({ color: 'red', value: 0.001 });
  });

  it('gives every panel a unique id within its dashboard and a place on the grid', () => {
    for (const [file, board] of Object.entries(boards)) {
      const ids = (board.panels as Panel[]).map((p) => p.id);
      expect(new Set(ids).size, file).toBe(ids.length);
      for (const panel of board.panels as Panel[]) expect(panel.gridPos, `${file} ${panel.title}`).toEqual({ x: expect.any(Number), y: expect.any(Number), w: expect.any(Number), h: expect.any(Number) });
    }
  });

  // The namespace comes from the environment file, which the model validates (test/model/load.test.ts).
  it('rejects wrong thresholds set in code, naming every one, as a programming error', () => {
    const wrong = () => dashboards({ namespace: 'gravl-staging', latencyP95Ms: -5, errorRateThreshold: 5 });
    expect(wrong).toThrowError(/^dashboards: latencyP95Ms: found -5[\s\S]*dashboards: errorRateThreshold: found 5/);
    expect(thrownBy(wrong)).not.toBeInstanceOf(ProblemsError);
  });
});

describe('Grafana provisioning', () => {
  it('provisions Prometheus (uid prometheus, default) and Loki (uid loki) at their in-cluster Services', () => {
    expect(grafanaDatasources()).toEqual({
      apiVersion: 1,
      datasources: [
        expect.objectContaining({ name: 'Prometheus', type: 'prometheus', uid: 'prometheus', url: 'http://prometheus.gravl-monitoring.svc.cluster.local:9090', isDefault: true, access: 'proxy' }),
        expect.objectContaining({ name: 'Loki', type: 'loki', uid: 'loki', url: 'http://loki.gravl-monitoring.svc.cluster.local:3100', isDefault: false, access: 'proxy' }),
      ],
    });
  });

  it('takes the data source URLs from the options', () => {
    const { datasources } = grafanaDatasources({ prometheusUrl: 'http://prom:9090', lokiUrl: 'http://loki:3100' }) as { datasources: Panel[] };
    expect(datasources.map((d) => d.url)).toEqual(['http://prom:9090', 'http://loki:3100']);
  });

  it('rejects a data source URL that is not http(s), as a programming error', () => {
    expect(() => grafanaDatasources({ lokiUrl: 'loki:3100' })).toThrowError(/grafanaDatasources: lokiUrl: found "loki:3100", expected an http\(s\) URL/);
    expect(thrownBy(() => grafanaDatasources({ lokiUrl: 'loki:3100' }))).not.toBeInstanceOf(ProblemsError);
  });

  it('loads the dashboards from /var/lib/grafana/dashboards into the Gravl folder, read-only', () => {
    expect(grafanaDashboardProvider()).toEqual({
      apiVersion: 1,
      providers: [
        expect.objectContaining({ folder: 'Gravl', type: 'file', allowUiUpdates: false, options: { path: '/var/lib/grafana/dashboards', foldersFromFilesStructure: false } }),
      ],
    });
  });
});
