/**
 * Operability, asserted on the rendered output of both environments: rollouts that keep every
 * request path served (preStop, grace period, maxUnavailable 0, with the numbers), priority
 * classes, a disruption budget or a written decision for every workload, spread, the recommended
 * labels, the node agents' host access annotated, and the edge scraped whatever serves it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PRIORITY_CLASSES } from '../../lib/kit/scheduling';
import { podTemplateOf, scaleOf } from '../../lib/review/inspect/workloads';
import type { RenderedEnvironment } from '../../lib/render/render';
import { SERVICE_ACCOUNT_CA_FILE, SERVICE_ACCOUNT_TOKEN_FILE } from '../../lib/system/names';
import { removeDir, runTool, scratchDir, withStandIns } from '../support/prom-tools';
import { committedText, edit, environment, object, objects, podSpecOf, renderTexts } from '../support/render';
import { DISRUPTION_ANNOTATION, RECOMMENDED_LABELS } from '../../lib/contract';
import { GRACEFUL_SHUTDOWN } from '../../lib/model/graceful-shutdown';

type Json = Record<string, any>;

const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet'];

function workloads(env: RenderedEnvironment): Json[] {
  return env.objects.filter((o) => LONG_RUNNING.includes(o.kind)) as Json[];
}

describe.each(['staging', 'production'])('%s operability', (name) => {
  const env = environment(name);

  it('stops the backend and frontend gracefully: a 15 s preStop sleep (over the 10 s propagation) inside a 45 s grace (15 s + 30 s in flight)', () => {
    expect(GRACEFUL_SHUTDOWN).toEqual({ endpointPropagationSeconds: 10, preStopDelaySeconds: 15, inFlightSeconds: 30, terminationGracePeriodSeconds: 45 });
    for (const workload of ['backend', 'frontend']) {
      const d = object(env, 'Deployment', workload) as Json;
      const pod = podSpecOf(d as never)!;
      expect(pod.terminationGracePeriodSeconds, workload).toBe(45);
      // Kubernetes 1.28 has no sleep action: the images' own sleep, in exec form.
      expect(pod.containers[0].lifecycle, workload).toEqual({ preStop: { exec: { command: ['sleep', '15'] } } });
      // The rendered numbers, not the constants, hold the relations: the wait outlasts the
      // propagation, and the grace period leaves the in-flight time after the wait.
      const wait = Number(pod.containers[0].lifecycle.preStop.exec.command[1]);
      expect(wait).toBeGreaterThan(GRACEFUL_SHUTDOWN.endpointPropagationSeconds);
      expect(pod.terminationGracePeriodSeconds - wait).toBeGreaterThanOrEqual(GRACEFUL_SHUTDOWN.inFlightSeconds);
      // A new pod is ready before an old one stops: full capacity through every rollout.
      expect(d.spec.strategy, workload).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    }
  });

  it('renders the priority classes: postgres and the backend highest, then the node agents (the only ones that preempt), then the rest; none the default', () => {
    const classes = objects(env, 'PriorityClass') as Json[];
    expect(classes.map((c) => [c.metadata.name, c.value, c.globalDefault, c.preemptionPolicy])).toEqual([
      ['gravl-critical', 1_000_000, false, 'Never'],
      ['gravl-node-agent', 100_000, false, 'PreemptLowerPriority'],
      ['gravl-standard', 10_000, false, 'Never'],
    ]);
    const priority = (o: Json) => podSpecOf(o as never)?.priorityClassName;
    for (const o of [...env.objects, ...env.manualObjects].filter((x) => podTemplateOf(x))) {
      const expected = o.kind === 'DaemonSet' ? 'gravl-node-agent' : ['postgres', 'backend'].includes(o.metadata.name) ? 'gravl-critical' : 'gravl-standard';
      expect(priority(o as Json), `${o.kind} ${o.metadata.name}`).toBe(expected);
    }
    expect(PRIORITY_CLASSES.critical.value).toBeGreaterThan(PRIORITY_CLASSES.nodeAgent.value);
    expect(PRIORITY_CLASSES.nodeAgent.value).toBeGreaterThan(PRIORITY_CLASSES.standard.value);
  });

  it('gives every workload a PodDisruptionBudget or a written decision, and spreads every replicated one over nodes', () => {
    const budgets = objects(env, 'PodDisruptionBudget') as Json[];
    for (const w of workloads(env)) {
      const labels = podTemplateOf(w as never)!.metadata!.labels as Record<string, string>;
      const budget = budgets.find((b) => b.metadata.namespace === w.metadata.namespace && Object.entries(b.spec.selector.matchLabels).every(([k, v]) => labels[k] === v));
      const decision = w.metadata.annotations?.[DISRUPTION_ANNOTATION];
      expect(Boolean(budget) !== Boolean(decision), `${w.kind} ${w.metadata.name}: a budget or a decision, not both`).toBe(true);
      if (decision) expect(decision.length, `${w.metadata.name} decision is a sentence`).toBeGreaterThan(60);
      const replicas = w.kind === 'DaemonSet' ? 1 : scaleOf(w as never, env.objects).count;
      if (replicas > 1) expect(podSpecOf(w as never)!.topologySpreadConstraints?.map((c: Json) => c.topologyKey), w.metadata.name).toContain('kubernetes.io/hostname');
    }
    const decided = workloads(env).filter((w) => w.metadata.annotations?.[DISRUPTION_ANNOTATION]).map((w) => w.metadata.name).sort();
    expect(decided).toEqual(
      ['alertmanager', 'alloy', 'grafana', 'kube-state-metrics', 'loki', 'node-exporter', 'postgres', 'prometheus', ...(name === 'staging' ? ['frontend'] : [])].sort(),
    );
    // Run-to-completion workloads, applied and manual: a decision each, never a budget.
    const batch = [...env.objects, ...env.manualObjects].filter((o) => o.kind === 'Job' || o.kind === 'CronJob');
    expect(batch.length).toBeGreaterThanOrEqual(5);
    for (const o of batch) expect(o.metadata.annotations?.[DISRUPTION_ANNOTATION], `${o.kind} ${o.metadata.name}`).toMatch(/^Runs to completion: a PodDisruptionBudget would hold a node drain/);
  });

  it('puts the six recommended labels on every object and pod template, instance gravl-<env>, and never a version or instance in a selector', () => {
    for (const o of [...env.objects, ...env.manualObjects]) {
      for (const key of RECOMMENDED_LABELS) expect(o.metadata.labels?.[key], `${o.kind} ${o.metadata.name} ${key}`).toBeTruthy();
      expect(o.metadata.labels!['app.kubernetes.io/instance']).toBe(`gravl-${name}`);
      const template = podTemplateOf(o);
      if (template) for (const key of RECOMMENDED_LABELS) expect(template.metadata?.labels?.[key], `${o.kind} ${o.metadata.name} pod template ${key}`).toBeTruthy();
      const selector = ((o.spec as Json | undefined)?.selector?.matchLabels ?? (o.kind === 'Service' ? (o.spec as Json).selector : undefined) ?? {}) as Json;
      expect(Object.keys(selector).filter((k) => /version|instance/.test(k)), `${o.kind} ${o.metadata.name} selector`).toEqual([]);
    }
  });

  it("annotates the node agents' host access with its reason, for kube-linter and Polaris", () => {
    const exporter = object(env, 'DaemonSet', 'node-exporter').metadata.annotations!;
    expect(exporter['gravl.app/host-access']).toMatch(/^host-network,host-path,host-pid: node-exporter reports the node's own/);
    for (const check of ['host-network', 'host-pid', 'sensitive-host-mounts']) expect(exporter[`ignore-check.kube-linter.io/${check}`]).toMatch(/reads the host's \/proc, \/sys and root filesystem read-only/);
    expect(exporter['polaris.fairwinds.com/hostNetworkSet-exempt']).toBe('true');
    expect(exporter['polaris.fairwinds.com/hostPIDSet-exempt']).toBe('true');
    const alloy = object(env, 'DaemonSet', 'alloy').metadata.annotations!;
    expect(alloy['ignore-check.kube-linter.io/run-as-non-root']).toMatch(/\/var\/log\/pods \(files only root may read\)/);
    expect(alloy['polaris.fairwinds.com/runAsRootAllowed-exempt']).toBe('true');
    expect(alloy['ignore-check.kube-linter.io/host-network']).toBeUndefined();
  });
});

describe('the edge, scraped whatever serves it', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach(removeDir));
  const stagingWith = (kind: string) => renderTexts({ staging: edit(committedText('staging'), (doc) => doc.setIn(['edge', 'kind'], kind)) })[0]!;
  const config = (env: RenderedEnvironment) => parse(String((object(env, 'ConfigMap', 'prometheus-config').data as Json)['prometheus.yml']));
  const rules = (env: RenderedEnvironment) => parse(String((object(env, 'ConfigMap', 'prometheus-rules').data as Json)['gravl-alerts.yaml']));
  const egress = (env: RenderedEnvironment) => (object(env, 'NetworkPolicy', 'prometheus').spec as Json).egress as Json[];

  it.each([
    ['gateway', ['edge-gateway']],
    ['ingress', ['edge-ingress']],
    ['both', ['edge-gateway', 'edge-ingress']],
  ] as const)('edge.kind %s: scrapes %j from the edge settings, opens the flow, and alerts on the 5xx share of the host', (kind, jobs) => {
    const env = kind === 'gateway' ? environment('staging') : stagingWith(kind);
    const scrape = config(env).scrape_configs.filter((j: Json) => j.job_name.startsWith('edge-'));
    expect(scrape.map((j: Json) => j.job_name)).toEqual(jobs);
    const expected: Record<string, { namespace: string; port: number; path: string; label: [string, string] }> = {
      'edge-gateway': { namespace: 'envoy-gateway-system', port: 19001, path: '/stats/prometheus', label: ['gateway.envoyproxy.io/owning-gateway-name', 'gravl'] },
      'edge-ingress': { namespace: 'ingress-nginx', port: 10254, path: '/metrics', label: ['app.kubernetes.io/name', 'ingress-nginx'] },
    };
    for (const job of scrape) {
      const e = expected[job.job_name]!;
      expect(job.metrics_path).toBe(e.path);
      expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: [e.namespace] } }]);
      const meta = `__meta_kubernetes_pod_label_${e.label[0].replace(/[^a-zA-Z0-9_]/g, '_')}`;
      expect(job.relabel_configs).toContainEqual({ source_labels: [meta], regex: e.label[1], action: 'keep' });
      expect(job.relabel_configs).toContainEqual({ source_labels: ['__meta_kubernetes_pod_ip'], regex: '(.+)', target_label: '__address__', replacement: `$1:${e.port}` });
      const flow = egress(env).find((r) => r.to.some((t: Json) => t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === e.namespace));
      expect(flow, `egress to ${e.namespace}`).toBeDefined();
      expect(flow!.ports).toEqual([{ port: e.port, protocol: 'TCP' }]);
      expect(objects(env, 'Role', 'gravl-prometheus').map((r) => r.metadata.namespace)).toContain(e.namespace);
    }
    const edgeAlert = rules(env).groups.flatMap((g: Json) => g.rules).find((r: Json) => r.alert === 'EdgeHighErrorRate');
    for (const job of jobs) expect(edgeAlert.expr).toContain(`job="${job}"`);
    if (kind !== 'gateway') expect(edgeAlert.expr).toContain('host="staging.gravl.app"');
    const targetDown = rules(env).groups.flatMap((g: Json) => g.rules).find((r: Json) => r.alert === 'TargetDown');
    for (const job of jobs) expect(targetDown.expr).toContain(`absent(up{job="${job}"})`);
  });

  it('passes promtool check config with both edges scraped', async () => {
    const dir = scratchDir('edge-config');
    dirs.push(dir);
    fs.writeFileSync(path.join(dir, 'token'), 'stand-in\n');
    fs.writeFileSync(path.join(dir, 'ca.crt'), '');
    const both = stagingWith('both');
    fs.mkdirSync(path.join(dir, 'rules'));
    fs.writeFileSync(path.join(dir, 'rules', 'gravl-alerts.yaml'), stringify(rules(both)));
    const { config: checked } = withStandIns(config(both), {
      [SERVICE_ACCOUNT_TOKEN_FILE]: path.join(dir, 'token'),
      [SERVICE_ACCOUNT_CA_FILE]: path.join(dir, 'ca.crt'),
      '/etc/prometheus/rules/*.yaml': path.join(dir, 'rules', '*.yaml'),
    });
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(checked));
    const run = await runTool('promtool', ['check', 'config', path.join(dir, 'prometheus.yml')], dir);
    expect(run.code, run.output).toBe(0);
  });
});
