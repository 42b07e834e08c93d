/**
 * The monitoring stack as rendered into each environment: the objects, their wiring, and the
 * rendered configuration files checked by the real promtool and amtool.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { PROMETHEUS_RULES_DIR, SCRAPE_JOBS, SERVICE_ACCOUNT_CA_FILE, SERVICE_ACCOUNT_TOKEN_FILE } from '../../../lib/system/names';
import { committedText, edit, environment, object, objects, podSpecOf, renderCommitted, renderTexts } from '../../support/render';
import { amtoolRoutes, removeDir, runTool, scratchDir, withStandIns, withWebhookUrlStandIn } from '../../support/prom-tools';

const dir = scratchDir('stack');
afterAll(() => removeDir(dir));

const data = (env: ReturnType<typeof environment>, configMap: string, key: string): string => {
  const found = [...env.objects].find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMap);
  if (!found) throw new Error(`no ConfigMap ${configMap} in ${env.name}`);
  return (found.data as Record<string, string>)[key]!;
};

describe.each(renderCommitted().map((e) => [e.name, e] as const))('%s monitoring', (name, env) => {
  const sub = path.join(dir, name);
  fs.mkdirSync(path.join(sub, 'rules'), { recursive: true });

  it('passes promtool check config on the rendered prometheus.yml, with its rendered rules', async () => {
    fs.writeFileSync(path.join(sub, 'rules', 'gravl-alerts.yaml'), data(env, 'prometheus-rules', 'gravl-alerts.yaml'));
    fs.writeFileSync(path.join(sub, 'token'), 'stand-in\n');
    fs.writeFileSync(path.join(sub, 'ca.crt'), '');
    // This promtool has no Kubernetes discovery: discovery becomes static targets, in-cluster files stand-ins.
    const { config } = withStandIns(parse(data(env, 'prometheus-config', 'prometheus.yml')), {
      [SERVICE_ACCOUNT_TOKEN_FILE]: path.join(sub, 'token'),
      [SERVICE_ACCOUNT_CA_FILE]: path.join(sub, 'ca.crt'),
      [`${PROMETHEUS_RULES_DIR}/*.yaml`]: path.join(sub, 'rules', '*.yaml'),
    });
    fs.writeFileSync(path.join(sub, 'prometheus.yml'), stringify(config));
    const run = await runTool('promtool', ['check', 'config', path.join(sub, 'prometheus.yml')], sub);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout + run.stderr).toMatch(/SUCCESS: \d+ rules found/);
  });

  it('passes amtool check-config on the rendered alertmanager.yml, and routes critical alerts to both receivers', async () => {
    const config = parse(data(env, 'alertmanager-config', 'alertmanager.yml'));
    for (const file of ['slack-webhook-url', 'smtp-password']) fs.writeFileSync(path.join(sub, file), 'stand-in\n');
    const { config: checked } = withStandIns(withWebhookUrlStandIn(config), {
      '/etc/alertmanager/secrets/slack-webhook-url': path.join(sub, 'slack-webhook-url'),
      '/etc/alertmanager/secrets/smtp-password': path.join(sub, 'smtp-password'),
    });
    const file = path.join(sub, 'alertmanager.yml');
    fs.writeFileSync(file, stringify(checked));
    const run = await runTool('amtool', ['check-config', file], sub);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect((await amtoolRoutes(file, { alertname: 'PostgresDown', severity: 'critical' })).receivers.sort()).toEqual(['email', 'slack']);
  });

  it('scrapes exactly the jobs the components declare, in the order alerts name them, each on a Service port that exists and is open to Prometheus', () => {
    const config = parse(data(env, 'prometheus-config', 'prometheus.yml'));
    const jobs = (config.scrape_configs as any[]).map((j) => j.job_name);
    const edgeJobs = env.objects.some((o) => o.kind === 'Gateway') ? ['edge-gateway'] : [];
    expect(jobs).toEqual([...Object.values(SCRAPE_JOBS), ...edgeJobs, ...(env.objects.some((o) => o.kind === 'Ingress') ? ['edge-ingress'] : [])]);
    const policies = objects(env, 'NetworkPolicy');
    for (const job of config.scrape_configs as any[]) {
      const keep = job.relabel_configs?.[0];
      if (job.kubernetes_sd_configs?.[0]?.role !== 'endpoints') continue;
      const [service, portName] = (keep.regex as string).split(';');
      const namespace = job.kubernetes_sd_configs[0].namespaces.names[0];
      const svc = objects(env, 'Service', service!).find((o) => o.metadata.namespace === namespace);
      const port = (svc?.spec as any)?.ports?.find((p: any) => p.name === portName);
      expect(port, `${job.job_name}: Service ${namespace}/${service} port ${portName}`).toBeDefined();
      if (svc!.metadata.name === 'node-exporter') continue; // host network: opened at the nodes' addresses
      const policy = policies.find((p) => p.metadata.namespace === namespace && p.metadata.name === service);
      const opened = ((policy?.spec as any)?.ingress ?? []).some((r: any) =>
        r.from.some((f: any) => f.podSelector?.matchLabels?.['app.kubernetes.io/name'] === 'prometheus') && r.ports.some((p: any) => p.port === port.port || p.port === port.targetPort));
      expect(opened, `${job.job_name}: ${namespace}/${service} admits Prometheus on its metrics port`).toBe(true);
    }
  });

  it('runs Prometheus with the retention and storage class of the environment file, scraping every 30 s', () => {
    const sts = object(env, 'StatefulSet', 'prometheus');
    const args = podSpecOf(sts)!.containers[0].args as string[];
    const file = parse(committedText(name));
    expect(args).toContain(`--storage.tsdb.retention.time=${file.monitoring.prometheus.retention}`);
    expect((sts.spec as any).volumeClaimTemplates[0].spec.storageClassName).toBe(file.monitoring.prometheus.storage.storageClassName);
    const config = parse(data(env, 'prometheus-config', 'prometheus.yml'));
    expect(config.global.scrape_interval).toBe('30s');
    expect(config.scrape_configs.length).toBeGreaterThanOrEqual(8);
  });

  it('lets Prometheus discover what it scrapes and read kubelet metrics, and nothing more', () => {
    const clusterRole = object(env, 'ClusterRole', 'gravl-prometheus') as any;
    expect(clusterRole.rules).toEqual([
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
    ]);
    const roles = objects(env, 'Role', 'gravl-prometheus') as any[];
    // The edge's namespace too: its proxies are scraped where they run.
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(['cert-manager', 'envoy-gateway-system', 'gravl-monitoring', 'gravl-node-agents', env.objects.find((o) => o.kind === 'Namespace' && o.metadata.labels?.['gravl.app/environment'])!.metadata.name].sort());
    for (const role of roles) expect(role.rules).toEqual([{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }]);
    expect((object(env, 'ServiceAccount', 'prometheus') as any).automountServiceAccountToken).toBe(true);
  });

  it('reads the Slack webhook URL and SMTP password from files of a sealed Secret, never from the config', () => {
    const text = data(env, 'alertmanager-config', 'alertmanager.yml');
    expect(text).toContain('api_url_file: /etc/alertmanager/secrets/slack-webhook-url');
    expect(text).toContain('auth_password_file: /etc/alertmanager/secrets/smtp-password');
    expect(text).not.toMatch(/api_url:|auth_password:/);
    const pod = podSpecOf(object(env, 'StatefulSet', 'alertmanager'))!;
    expect(pod.volumes).toContainEqual({ name: 'receivers', secret: { secretName: 'alertmanager-receivers', defaultMode: 0o440 } });
    const sealed = objects(env, 'SealedSecret', 'alertmanager-receivers')[0]!;
    // Both are provided credentials: sealed when their owner gives them, recorded as missing until then.
    for (const key of ['slack-webhook-url', 'smtp-password']) expect(sealed.metadata.annotations?.[`credential.gravl.app/${key}`]).toMatch(/^provided\//);
  });

  it('provisions Grafana with the Prometheus and Loki data sources and the three sign-off dashboards, admin from a sealed Secret', () => {
    const datasources = parse(data(env, 'grafana-datasources', 'datasources.yaml'));
    expect(datasources.datasources.map((d: any) => [d.uid, d.url])).toEqual([
      ['prometheus', 'http://prometheus.gravl-monitoring.svc.cluster.local:9090'],
      ['loki', 'http://loki.gravl-monitoring.svc.cluster.local:3100'],
    ]);
    const dashboards = object(env, 'ConfigMap', 'grafana-dashboards').data as Record<string, string>;
    expect(Object.values(dashboards).map((d) => JSON.parse(d).title).sort()).toEqual(['Error Rate', 'Latency', 'Request Rate']);
    const env_ = Object.fromEntries((podSpecOf(object(env, 'Deployment', 'grafana'))!.containers[0].env as any[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env_.GF_SECURITY_ADMIN_PASSWORD).toEqual({ secretKeyRef: { name: 'grafana-admin', key: 'admin-password' } });
    expect(env_.GF_ANALYTICS_REPORTING_ENABLED).toBe('false');
  });

  it('runs kube-state-metrics on a ClusterRole that lists and watches exactly the kinds it exports', () => {
    const role = object(env, 'ClusterRole', 'gravl-kube-state-metrics') as any;
    const granted = role.rules.flatMap((r: any) => r.resources).sort();
    const args = podSpecOf(object(env, 'Deployment', 'kube-state-metrics'))!.containers[0].args as string[];
    const exported = args.find((a) => a.startsWith('--resources='))!.slice('--resources='.length).split(',').sort();
    expect(granted).toEqual(exported);
    for (const rule of role.rules) expect(rule.verbs).toEqual(['list', 'watch']);
  });

  it('exports the label that says which backup copy the restore drill proves', () => {
    const args = podSpecOf(object(env, 'Deployment', 'kube-state-metrics'))!.containers[0].args as string[];
    expect(args).toContain('--metric-labels-allowlist=cronjobs=[gravl.app/drill-copy]');
    expect(object(env, 'CronJob', 'postgres-restore-drill').metadata.labels!['gravl.app/drill-copy']).toMatch(/^(off-site|volume)$/);
  });

  it('runs only DaemonSets in the privileged node-agents namespace, and nothing host-level elsewhere', () => {
    const agents = [...env.objects, ...env.manualObjects].filter((o) => o.metadata.namespace === 'gravl-node-agents' && ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind));
    expect(agents.map((o) => `${o.kind}/${o.metadata.name}`).sort()).toEqual(['DaemonSet/alloy', 'DaemonSet/node-exporter']);
    expect(object(env, 'Namespace', 'gravl-node-agents').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('privileged');
    expect(object(env, 'Namespace', 'gravl-monitoring').metadata.labels?.['pod-security.kubernetes.io/enforce']).toBe('restricted');
    for (const o of [...env.objects, ...env.manualObjects].filter((x) => x.metadata.namespace !== 'gravl-node-agents')) {
      const pod = podSpecOf(o);
      if (!pod) continue;
      expect(pod.hostNetwork ?? false, `${o.kind} ${o.metadata.name}`).toBe(false);
      expect((pod.volumes ?? []).some((v: any) => v.hostPath), `${o.kind} ${o.metadata.name}`).toBe(false);
    }
  });

  it('rolls Alertmanager when its configuration changes (a hash of the config on the pod template)', () => {
    const hash = (e: ReturnType<typeof environment>) => (object(e, 'StatefulSet', 'alertmanager').spec as any).template.metadata.annotations['gravl.app/config-hash'];
    expect(hash(env)).toMatch(/^[0-9a-f]{16}$/);
    const text = edit(committedText(name), (doc) => doc.setIn(['monitoring', 'alertmanager', 'slack', 'channel'], '#elsewhere'));
    const [changed] = renderTexts({ [name]: text });
    expect(hash(changed!)).not.toBe(hash(env));
  });

  it('reloads Prometheus in place when its configuration changes: no hash to roll it, the config folder mounted whole, auto-reload on', () => {
    const sts = object(env, 'StatefulSet', 'prometheus').spec as any;
    expect(sts.template.metadata.annotations?.['gravl.app/config-hash']).toBeUndefined();
    const container = sts.template.spec.containers[0];
    expect(container.args).toEqual(expect.arrayContaining(['--enable-feature=auto-reload-config', '--config.auto-reload-interval=30s', '--config.file=/etc/prometheus/config/prometheus.yml']));
    for (const mount of container.volumeMounts) expect(mount.subPath, mount.name).toBeUndefined();
    const text = edit(committedText(name), (doc) => doc.setIn(['monitoring', 'prometheus', 'retention'], '7d'));
    const [changed] = renderTexts({ [name]: text });
    expect(JSON.stringify((object(changed!, 'StatefulSet', 'prometheus').spec as any).template.metadata)).toBe(JSON.stringify(sts.template.metadata));
  });

  it('bounds Prometheus by size as well as time: 80% of its volume', () => {
    const args = podSpecOf(object(env, 'StatefulSet', 'prometheus'))!.containers[0].args as string[];
    const size = parse(committedText(name)).monitoring.prometheus.storage.size as string;
    const mib = Number(/^(\d+)Gi$/.exec(size)![1]) * 1024 * 0.8;
    expect(args).toContain(`--storage.tsdb.retention.size=${Math.floor(mib)}MB`);
  });

  it('keeps Alertmanager\'s silences and notification log on a volume, not an emptyDir', () => {
    const sts = object(env, 'StatefulSet', 'alertmanager').spec as any;
    expect(sts.volumeClaimTemplates.map((c: any) => c.metadata.name)).toEqual(['data']);
    expect(sts.template.spec.volumes.some((v: any) => v.name === 'data')).toBe(false);
    expect(sts.template.spec.containers[0].volumeMounts).toContainEqual({ name: 'data', mountPath: '/alertmanager' });
  });
});

describe('tls.certManagerNamespace', () => {
  // Staging: production's dns01 solver also needs its Cloudflare token sealed into that namespace.
  it('scrapes cert-manager in the namespace the environment file names', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['tls', 'certManagerNamespace'], 'certs'));
    const [moved] = renderTexts({ staging: text });
    const config = parse(data(moved!, 'prometheus-config', 'prometheus.yml'));
    const job = config.scrape_configs.find((j: any) => j.job_name === 'cert-manager');
    expect(job.kubernetes_sd_configs).toEqual([{ role: 'pod', namespaces: { names: ['certs'] } }]);
    const roles = objects(moved!, 'Role', 'gravl-prometheus').map((r) => r.metadata.namespace);
    expect(roles).toContain('certs');
    expect(roles).not.toContain('cert-manager');
    const egress = (objects(moved!, 'NetworkPolicy').find((p) => p.metadata.name === 'prometheus')!.spec as any).egress;
    const peers = JSON.stringify(egress);
    expect(peers).toContain('"kubernetes.io/metadata.name":"certs"');
    expect(peers).not.toContain('"kubernetes.io/metadata.name":"cert-manager"');
  });
});
