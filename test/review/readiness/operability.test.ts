/**
 * The operability criteria, each broken in a copy of the ready output: production says NO-GO and
 * names the criterion; staging only warns. The output starts READY (test/support/ready.ts).
 */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { readiness } from '../../../lib/review/readiness/report';
import { readyEnvironment as environment } from '../../support/ready';
import { type ManifestFile } from '../../../lib/contract';

type Json = Record<string, any>;
type Files = { files: Array<{ name: string; objects: Json[] }>; manualFiles: Array<{ name: string; objects: Json[] }> };

function copy(name: string): Files {
  const env = environment(name);
  const clone = (files: readonly ManifestFile[]) => files.map((f) => ({ name: f.name, objects: structuredClone(f.objects) as unknown as Json[] }));
  return { files: clone(env.manifests), manualFiles: clone(env.manualManifests) };
}

function judge(files: Files, name = 'production') {
  return readiness({ name, location: `dist/${name}`, files: files.files as unknown as ManifestFile[], manualFiles: files.manualFiles as unknown as ManifestFile[], now: new Date('2026-12-01T00:00:00Z') });
}

function all(files: Files): Json[] {
  return [...files.files, ...files.manualFiles].flatMap((f) => f.objects);
}

function find(files: Files, kind: string, name: string): Json {
  const found = all(files).find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

/** Edits a YAML file a ConfigMap holds. */
function editConfig(files: Files, configMap: string, file: string, change: (config: Json) => void): void {
  const cm = find(files, 'ConfigMap', configMap);
  const config = parse(cm.data[file]) as Json;
  change(config);
  cm.data[file] = stringify(config);
}

const dropRule = (alert: string) => (config: Json) => {
  for (const g of config.groups) g.rules = g.rules.filter((r: Json) => r.alert !== alert);
};

/** Production: NO-GO failing exactly `id` (and `also`); staging with the same break: READY, `id` a WARN. */
function expectBlocks(id: string, evidence: RegExp, breakIt: (files: Files) => void, also: string[] = []): void {
  const production = copy('production');
  breakIt(production);
  const r = judge(production);
  expect(r.decision).toBe('NO-GO');
  expect(r.results.filter((c) => c.status === 'FAIL').map((c) => c.id).sort()).toEqual([id, ...also].sort());
  expect(r.results.find((c) => c.id === id)!.evidence.join('\n')).toMatch(evidence);
  const staging = copy('staging');
  breakIt(staging);
  const s = judge(staging, 'staging');
  expect(s.results.find((c) => c.id === id)!.status).toBe('WARN');
}

describe('operability criteria', () => {
  it('passes each on the ready output of both environments', () => {
    for (const name of ['staging', 'production']) {
      const r = judge(copy(name), name);
      for (const id of ['meta-monitoring', 'edge-errors', 'graceful-shutdown', 'scheduling', 'labels']) expect(r.results.find((c) => c.id === id)!.status, `${name} ${id}`).toBe('PASS');
    }
  });

  it('fails meta-monitoring without the Watchdog, or with a scrape job TargetDown does not watch', () => {
    expectBlocks('meta-monitoring', /no Watchdog alert that always fires/, (f) => editConfig(f, 'prometheus-rules', 'gravl-alerts.yaml', dropRule('Watchdog')));
    expectBlocks('meta-monitoring', /TargetDown does not watch the scrape job\(s\) extra/, (f) =>
      editConfig(f, 'prometheus-config', 'prometheus.yml', (c) => c.scrape_configs.push({ job_name: 'extra', static_configs: [{ targets: ['x:1'] }] })),
    );
    // A job's absent() narrowed to a namespace it does not discover would fire for ever.
    expectBlocks('meta-monitoring', /TargetDown does not watch the scrape job\(s\) backend/, (f) =>
      editConfig(f, 'prometheus-rules', 'gravl-alerts.yaml', (c) => {
        for (const g of c.groups) for (const r of g.rules) if (r.alert === 'TargetDown') r.expr = String(r.expr).replace(/absent\(up\{job="backend", namespace="[^"]+"\}\)/, 'absent(up{job="backend", namespace="gravl-elsewhere"})');
      }),
    );
  });

  it('fails meta-monitoring without the kube-state-metrics guard, or with the Watchdog routed nowhere', () => {
    expectBlocks('meta-monitoring', /no KubeStateMetricsAbsent: the guard of the backup, crash-loop and resource alerts/, (f) => editConfig(f, 'prometheus-rules', 'gravl-alerts.yaml', dropRule('KubeStateMetricsAbsent')));
    expectBlocks('meta-monitoring', /the Watchdog is routed to no dead-man's-switch webhook/, (f) => editConfig(f, 'alertmanager-config', 'alertmanager.yml', (c) => c.route.routes.shift()));
  });

  it("fails meta-monitoring in production while the dead-man's-switch URL is missing, naming the seal command", () => {
    const production = copy('production');
    const secret = find(production, 'SealedSecret', 'alertmanager-receivers');
    delete secret.spec.encryptedData['dead-mans-switch-url'];
    secret.metadata.annotations['origin.gravl.app/dead-mans-switch-url'] = 'missing';
    const r = judge(production);
    const meta = r.results.find((c) => c.id === 'meta-monitoring')!;
    expect(meta.status).toBe('FAIL');
    expect(meta.evidence.join('\n')).toMatch(/receiver dead-mans-switch cannot deliver: the dead-man's-switch URL \(gravl-monitoring\/alertmanager-receivers key dead-mans-switch-url\) is missing/);
    expect(meta.fix).toEqual(['npm run seal -- --env production --namespace gravl-monitoring --name alertmanager-receivers --key dead-mans-switch-url < FILE-WITH-THE-VALUE']);
  });

  it('fails edge-errors without the edge scrape job, or without the 5xx alert', () => {
    expectBlocks('edge-errors', /data plane envoy-gateway-system: no scrape job edge-gateway/, (f) =>
      editConfig(f, 'prometheus-config', 'prometheus.yml', (c) => (c.scrape_configs = c.scrape_configs.filter((j: Json) => j.job_name !== 'edge-gateway'))),
    );
    expectBlocks('edge-errors', /no EdgeHighErrorRate alert/, (f) => editConfig(f, 'prometheus-rules', 'gravl-alerts.yaml', dropRule('EdgeHighErrorRate')));
  });

  it('fails edge-errors when the NetworkPolicies deny Prometheus the metrics port of the data plane', () => {
    expectBlocks('edge-errors', /the NetworkPolicies deny prometheus -> :19001/, (f) => {
      const policy = find(f, 'NetworkPolicy', 'prometheus');
      policy.spec.egress = policy.spec.egress.filter((r: Json) => !r.to.some((t: Json) => t.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'envoy-gateway-system'));
    });
  });

  it('fails graceful-shutdown without a preStop delay, with a grace period that leaves no time in flight, or with maxUnavailable 1', () => {
    expectBlocks('graceful-shutdown', /Deployment gravl-\w+\/backend: no preStop delay/, (f) => delete podSpec(find(f, 'Deployment', 'backend')).containers[0].lifecycle);
    expectBlocks('graceful-shutdown', /frontend: terminationGracePeriodSeconds 20 leaves under 30s for in-flight requests after the 15s preStop/, (f) => (podSpec(find(f, 'Deployment', 'frontend')).terminationGracePeriodSeconds = 20));
    expectBlocks('graceful-shutdown', /backend: rolls with RollingUpdate and maxUnavailable 1, not at full capacity/, (f) => (find(f, 'Deployment', 'backend').spec.strategy.rollingUpdate.maxUnavailable = 1));
  });

  it('fails scheduling without a priority class, with postgres below the frontend, or with a node agent that cannot preempt', () => {
    expectBlocks('scheduling', /Deployment gravl-\w+\/frontend: no priorityClassName/, (f) => delete podSpec(find(f, 'Deployment', 'frontend')).priorityClassName);
    expectBlocks('scheduling', /StatefulSet postgres: priority 10000 is not above the frontend's 10000/, (f) => (podSpec(find(f, 'StatefulSet', 'postgres')).priorityClassName = 'gravl-standard'));
    expectBlocks('scheduling', /DaemonSet gravl-node-agents\/alloy: priority 1000000 is not below the data tier's and the backend's \(1000000\): it could preempt them[\s\S]*PriorityClass gravl-critical never preempts/, (f) => (podSpec(find(f, 'DaemonSet', 'alloy')).priorityClassName = 'gravl-critical'));
    expectBlocks('scheduling', /DaemonSet gravl-node-agents\/alloy: priority 10000 is not above the other Gravl workloads' \(10000\)/, (f) => (podSpec(find(f, 'DaemonSet', 'alloy')).priorityClassName = 'gravl-standard'));
  });

  it('fails scheduling when a class other than the node agents\' preempts', () => {
    expectBlocks('scheduling', /Deployment gravl-\w+\/backend: PriorityClass gravl-critical preempts lower priorities/, (f) => (find(f, 'PriorityClass', 'gravl-critical').preemptionPolicy = 'PreemptLowerPriority'));
  });

  it('fails scheduling for a workload with neither a budget nor a decision, a replicated one without spread, or a node agent without its reason', () => {
    expectBlocks('scheduling', /StatefulSet gravl-monitoring\/loki: neither a PodDisruptionBudget nor a written decision/, (f) => delete find(f, 'StatefulSet', 'loki').metadata.annotations['gravl.app/disruption-decision']);
    expectBlocks('scheduling', /CronJob gravl-\w+\/postgres-backup: neither a PodDisruptionBudget nor a written decision/, (f) => delete find(f, 'CronJob', 'postgres-backup').metadata.annotations['gravl.app/disruption-decision']);
    expectBlocks('scheduling', /Deployment gravl-monitoring\/grafana: 2 replicas without topology spread over nodes/, (f) => (find(f, 'Deployment', 'grafana').spec.replicas = 2));
    expectBlocks('scheduling', /DaemonSet gravl-node-agents\/node-exporter: no gravl.app\/host-access annotation/, (f) => delete find(f, 'DaemonSet', 'node-exporter').metadata.annotations['gravl.app/host-access']);
  });

  it('fails labels for an object without app.kubernetes.io/instance, or a selector on the version', () => {
    expectBlocks('labels', /PriorityClass gravl-standard: no app.kubernetes.io\/instance/, (f) => delete find(f, 'PriorityClass', 'gravl-standard').metadata.labels['app.kubernetes.io/instance']);
    expectBlocks('labels', /Deployment gravl-\w+\/frontend pod template: no app.kubernetes.io\/managed-by/, (f) => delete podTemplate(find(f, 'Deployment', 'frontend')).metadata.labels['app.kubernetes.io/managed-by']);
    expectBlocks('labels', /Service gravl-\w+\/backend: selects on app.kubernetes.io\/version/, (f) => (find(f, 'Service', 'backend').spec.selector['app.kubernetes.io/version'] = '1.4.2'));
  });
});

function podTemplate(o: Json): Json {
  return o.spec.template;
}

function podSpec(o: Json): Json {
  return o.spec.template.spec;
}
