import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules } from '../../../lib/system/monitoring/alert-rules';
import { MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE, PROMETHEUS_RULES_DIR, PROMETHEUS_RULES_FILE, SERVICE_ACCOUNT_CA_FILE, SERVICE_ACCOUNT_TOKEN_FILE } from '../../../lib/system/names';
import { prometheusConfig, type PrometheusConfigOptions } from '../../../lib/system/monitoring/prometheus-config';
import { removeDir, runTool, scratchDir, withStandIns, writeYaml, type StandInEdit, type ToolRun } from '../../support/prom-tools';

/** The Services the components declare for scraping (ScrapeTargets), as they render in an app namespace. */
function services(app: string): PrometheusConfigOptions['services'] {
  const service = (job: string, namespace: string, name: string, port: string, targetLabels = true) => ({ job, namespace, service: name, port, targetLabels });
  // Declared in another order than prometheus.yml lists them: the file follows SCRAPE_JOBS.
  return [
    service('postgres-exporter', app, 'postgres', 'metrics'),
    service('backend', app, 'backend', 'metrics'),
    service('prometheus', MONITORING_NAMESPACE, 'prometheus', 'web'),
    service('alertmanager', MONITORING_NAMESPACE, 'alertmanager', 'web'),
    service('grafana', MONITORING_NAMESPACE, 'grafana', 'http'),
    service('kube-state-metrics', MONITORING_NAMESPACE, 'kube-state-metrics', 'http-metrics', false),
    service('node-exporter', NODE_AGENTS_NAMESPACE, 'node-exporter', 'metrics'),
    service('loki', MONITORING_NAMESPACE, 'loki', 'http'),
    service('alloy', NODE_AGENTS_NAMESPACE, 'alloy', 'http'),
  ];
}

/** cert-manager's controller, as Security declares it (ScrapeTargets.scrapePods). */
const CERT_MANAGER_PODS = { job: 'cert-manager', namespace: 'cert-manager', podLabels: { 'app.kubernetes.io/name': 'cert-manager' }, port: 9402, find: 'declared' as const };

const OPTIONS: PrometheusConfigOptions = { namespace: 'gravl-staging', environment: 'staging', services: services('gravl-staging'), pods: [CERT_MANAGER_PODS] };

/** The sign-off's jobs and those the cluster adds, as the brief of the monitoring stack lists them. */
const JOBS = ['prometheus', 'alertmanager', 'backend', 'postgres-exporter', 'kube-state-metrics', 'node-exporter', 'kubelet', 'cadvisor', 'grafana', 'loki', 'cert-manager', 'alloy'];

type Job = Record<string, any>;

function jobs(config: Record<string, unknown>): Job[] {
  return config.scrape_configs as Job[];
}

function job(config: Record<string, unknown>, name: string): Job {
  const found = jobs(config).find((j) => j.job_name === name);
  if (!found) throw new Error(`no scrape job ${name}`);
  return found;
}

describe('prometheus.yml', () => {
  const config = prometheusConfig(OPTIONS);
  let dir: string;
  let counter = 0;

  /**
   * promtool check config on a copy with stand-ins: discovery becomes static targets (this promtool
   * is built without Kubernetes discovery) and in-cluster files (token, CA, rule files) point at
   * files in a temp folder, the rules file being the rendered one.
   */
  async function checkConfig(rendered: Record<string, unknown>) {
    const sub = path.join(dir, `check-${counter++}`);
    fs.mkdirSync(path.join(sub, 'rules'), { recursive: true });
    const token = path.join(sub, 'token');
    const ca = path.join(sub, 'ca.crt');
    fs.writeFileSync(token, 'stand-in service-account token\n');
    fs.writeFileSync(ca, '');
    writeYaml(sub, path.join('rules', PROMETHEUS_RULES_FILE), alertRules({ namespace: OPTIONS.namespace }));
    const { config: checked, edits } = withStandIns(rendered, {
      [SERVICE_ACCOUNT_TOKEN_FILE]: token,
      [SERVICE_ACCOUNT_CA_FILE]: ca,
      [`${PROMETHEUS_RULES_DIR}/*.yaml`]: path.join(sub, 'rules', '*.yaml'),
    });
    const file = writeYaml(sub, 'prometheus.yml', checked);
    return { run: await runTool('promtool', ['check', 'config', file], sub), edits };
  }

  let asRendered: Promise<{ run: ToolRun; edits: StandInEdit[] }>;

  beforeAll(() => {
    dir = scratchDir('prometheus-config');
    asRendered = checkConfig(config);
    asRendered.catch(() => undefined);
  });
  afterAll(() => removeDir(dir));

  it('passes promtool check config, rule files included', async () => {
    const { run } = await asRendered;
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('is valid prometheus config file syntax');
    const ruleCount = alertRules({ namespace: OPTIONS.namespace }).groups.flatMap((g) => g.rules).length;
    expect(run.output).toContain(`SUCCESS: ${ruleCount} rules found`);
  });

  it('is checked as rendered except for discovery blocks and in-cluster file paths', async () => {
    const { edits } = await asRendered;
    const discovery = edits.filter((e) => e.kind === 'discovery').map((e) => e.path);
    const files = edits.filter((e) => e.kind === 'file').map((e) => e.path);
    expect(discovery).toEqual([
      'alerting.alertmanagers[0].kubernetes_sd_configs',
      ...jobs(config).map((_, i) => `scrape_configs[${i}].kubernetes_sd_configs`),
    ]);
    expect(files.sort()).toEqual(['rule_files[0]', 'scrape_configs[6].authorization.credentials_file', 'scrape_configs[7].authorization.credentials_file']);
  });

  it('passes promtool check config with kubelet certificate verification on', async () => {
    const { run, edits } = await checkConfig(prometheusConfig({ ...OPTIONS, verifyKubeletCertificates: true }));
    expect(run.code, run.output).toBe(0);
    expect(edits.filter((e) => e.path.endsWith('tls_config.ca_file'))).toHaveLength(2);
  });

  it('rejects (promtool) a scrape job with a misspelt relabel action, so the check above is real', async () => {
    const broken = structuredClone(config) as Record<string, any>;
    broken.scrape_configs[2].relabel_configs[0].action = 'kepp';
    const { run } = await checkConfig(broken);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/unknown relabel action "kepp"/);
  });

  it('scrapes every 30 s and evaluates rules every 30 s, labelled with the environment', () => {
    expect(config.global).toEqual({ scrape_interval: '30s', evaluation_interval: '30s', external_labels: { environment: 'staging' } });
    for (const j of jobs(config)) expect(j.scrape_interval ?? '30s').toBe('30s');
  });

  it('has at least 8 scrape jobs, among them every job of the monitoring stack, each once', () => {
    const names = jobs(config).map((j) => j.job_name);
    expect(names.length).toBeGreaterThanOrEqual(8);
    expect(names).toEqual(expect.arrayContaining(JOBS));
    expect(new Set(names).size).toBe(names.length);
    // In the order of SCRAPE_JOBS, whatever order the components declared their targets in.
    expect(names).toEqual(JOBS);
  });

  it.each([
    ['prometheus', MONITORING_NAMESPACE, 'prometheus', 'web'],
    ['alertmanager', MONITORING_NAMESPACE, 'alertmanager', 'web'],
    ['backend', 'gravl-staging', 'backend', 'metrics'],
    ['postgres-exporter', 'gravl-staging', 'postgres', 'metrics'],
    ['kube-state-metrics', MONITORING_NAMESPACE, 'kube-state-metrics', 'http-metrics'],
    ['node-exporter', NODE_AGENTS_NAMESPACE, 'node-exporter', 'metrics'],
    ['grafana', MONITORING_NAMESPACE, 'grafana', 'http'],
    ['loki', MONITORING_NAMESPACE, 'loki', 'http'],
    ['alloy', NODE_AGENTS_NAMESPACE, 'alloy', 'http'],
  ])('discovers job %s in namespace %s only, keeping Service %s port %s', (name, namespace, service, port) => {
    const j = job(config, name);
    expect(j.kubernetes_sd_configs).toEqual([{ role: 'endpoints', namespaces: { names: [namespace] } }]);
    expect(j.relabel_configs[0]).toEqual({
      source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'],
      regex: `${service};${port}`,
      action: 'keep',
    });
  });

  it('rejects a scrape job that no alert or dashboard names (not one of SCRAPE_JOBS)', () => {
    const services = [...OPTIONS.services, { job: 'mystery', namespace: 'gravl-staging', service: 'mystery', port: 'metrics', targetLabels: true }];
    expect(() => prometheusConfig({ ...OPTIONS, services })).toThrowError(/scrape job mystery is not one of SCRAPE_JOBS \(prometheus, alertmanager, .*\) or the edge's: alerts and dashboards select jobs by those names/);
  });

  it('follows the app namespace of the options', () => {
    const prod = prometheusConfig({ namespace: 'gravl-prod', environment: 'production', services: services('gravl-prod'), pods: [CERT_MANAGER_PODS] });
    for (const name of ['backend', 'postgres-exporter']) expect(job(prod, name).kubernetes_sd_configs[0].namespaces.names).toEqual(['gravl-prod']);
    expect(JSON.stringify(prod)).not.toContain('gravl-staging');
  });

  it('labels targets with namespace, pod, node and service, except kube-state-metrics whose series describe other objects', () => {
    const targetLabels = (j: Job) => (j.relabel_configs as Job[]).map((r) => r.target_label).filter(Boolean);
    for (const name of ['prometheus', 'alertmanager', 'backend', 'postgres-exporter', 'node-exporter', 'grafana', 'loki', 'alloy']) {
      expect(targetLabels(job(config, name)), name).toEqual(['namespace', 'pod', 'node', 'service']);
    }
    expect(targetLabels(job(config, 'kube-state-metrics'))).toEqual([]);
    expect(targetLabels(job(config, 'kubelet'))).toEqual(['node']);
    expect(targetLabels(job(config, 'cadvisor'))).toEqual(['node']);
    expect(targetLabels(job(config, 'cert-manager'))).toEqual(['pod', 'node']);
  });

  it('scrapes kubelet and cAdvisor on each node directly over HTTPS with the service-account token, never through the API server proxy', () => {
    for (const [name, metricsPath] of [['kubelet', '/metrics'], ['cadvisor', '/metrics/cadvisor']] as const) {
      const j = job(config, name);
      expect(j.kubernetes_sd_configs).toEqual([{ role: 'node' }]);
      expect(j.scheme).toBe('https');
      expect(j.metrics_path).toBe(metricsPath);
      expect(j.authorization).toEqual({ type: 'Bearer', credentials_file: SERVICE_ACCOUNT_TOKEN_FILE });
      // Self-signed kubelet serving certificates cannot be verified: skipped unless asked for.
      expect(j.tls_config).toEqual({ insecure_skip_verify: true });
      expect(JSON.stringify(j)).not.toMatch(/__address__|__metrics_path__|proxy|kubernetes\.default/);
    }
    const verified = prometheusConfig({ ...OPTIONS, verifyKubeletCertificates: true });
    expect(job(verified, 'kubelet').tls_config).toEqual({ ca_file: SERVICE_ACCOUNT_CA_FILE });
    expect(job(verified, 'cadvisor').tls_config).toEqual({ ca_file: SERVICE_ACCOUNT_CA_FILE });
  });

  it('scrapes cert-manager pods by their name label on port 9402 in namespace cert-manager', () => {
    const j = job(config, 'cert-manager');
    expect(j.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['cert-manager'] } }]);
    expect(j.relabel_configs[0]).toEqual({
      source_labels: ['__meta_kubernetes_pod_label_app_kubernetes_io_name', '__meta_kubernetes_pod_container_port_number'],
      regex: 'cert-manager;9402',
      action: 'keep',
    });
  });

  it('sends alerts to the alertmanager Service port web in the monitoring namespace', () => {
    expect(config.alerting).toEqual({
      alertmanagers: [
        {
          api_version: 'v2',
          kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [MONITORING_NAMESPACE] } }],
          relabel_configs: [
            { source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'], regex: 'alertmanager;web', action: 'keep' },
          ],
        },
      ],
    });
  });

  it('loads the rule files from /etc/prometheus/rules/*.yaml and leaves retention to the command line', () => {
    expect(config.rule_files).toEqual(['/etc/prometheus/rules/*.yaml']);
    expect(JSON.stringify(config)).not.toMatch(/retention/);
  });

  it('discovers only in the namespaces of the declared targets (and Alertmanager\'s, which Prometheus itself is in)', () => {
    const discovered = new Set(
      [...jobs(config), ...(config.alerting as any).alertmanagers].flatMap((j: Job) => (j.kubernetes_sd_configs as Job[]).flatMap((sd) => sd.namespaces?.names ?? [])),
    );
    const declared = new Set([...OPTIONS.services.map((t) => t.namespace), ...OPTIONS.pods.map((t) => t.namespace)]);
    expect([...discovered].sort()).toEqual([...declared].sort());
    expect([...declared].sort()).toEqual(['cert-manager', 'gravl-monitoring', 'gravl-node-agents', 'gravl-staging']);
  });
});
