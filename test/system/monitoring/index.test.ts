/** The Monitoring component: Prometheus, Alertmanager, Grafana, kube-state-metrics in one wave; node-exporter with the node agents. */
import { describe, expect, it } from 'vitest';
import { environment } from '../../support/render';
import { fileOf } from '../../support/waves';

describe.each(['staging', 'production'])('Monitoring in %s', (name) => {
  const env = environment(name);

  it('applies its workloads together in the monitoring wave, and node-exporter with the node agents', () => {
    const wave = fileOf(env, 'StatefulSet', 'prometheus');
    expect(wave).toMatch(/^\d{4}-monitoring\.k8s\.yaml$/);
    for (const [kind, n] of [['StatefulSet', 'alertmanager'], ['Deployment', 'grafana'], ['Deployment', 'kube-state-metrics']] as const) {
      expect(fileOf(env, kind, n), `${kind} ${n}`).toBe(wave);
    }
    expect(fileOf(env, 'DaemonSet', 'node-exporter')).toMatch(/^\d{4}-node-agents\.k8s\.yaml$/);
  });

  it('points Grafana at the Loki Service the Logging component renders', () => {
    const datasources = env.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-datasources')!;
    const loki = env.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'loki')!;
    const port = (loki.spec as any).ports.find((p: any) => p.name === 'http').port;
    expect((datasources.data as Record<string, string>)['datasources.yaml']).toContain(`http://loki.${loki.metadata.namespace}.svc.cluster.local:${port}`);
  });
});

describe('Monitoring discovery', () => {
  it('fails the build when a component declares a scrape target in a namespace Prometheus may not discover', async () => {
    const { App, Chart } = await import('cdk8s');
    const { NetworkPolicies } = await import('../../../lib/kit/network/network-policies');
    const { STOCK_DNS, clusterAddresses } = await import('../../../lib/kit/network/peers');
    const { ScrapeTargets } = await import('../../../lib/kit/scrape');
    const { Secrets } = await import('../../../lib/kit/secrets');
    const { Monitoring } = await import('../../../lib/system/monitoring');
    const { loadEnvironments } = await import('../../../lib/model/load');
    const { committedSources } = await import('../../support/render');
    const loaded = loadEnvironments(committedSources());
    if (!loaded.ok) throw new Error('committed environments do not load');
    const env = loaded.environments.find((e) => e.name === 'staging')!;
    const build = (namespace: string) => {
      const app = new App();
      const chart = new Chart(app, 'c');
      const network = new NetworkPolicies(chart, 'network', { namespaces: ['gravl-monitoring', 'gravl-node-agents'], dns: STOCK_DNS });
      const secrets = new Secrets(chart, 'secrets', { source: { kind: 'sealed', environment: 'staging', file: env.sealed.file, values: env.sealed.values }, declarationsOnly: true });
      const metrics = new ScrapeTargets();
      const monitoring = new Monitoring(app, 'Monitoring', {
        charts: { monitoring: chart, nodeAgents: chart },
        namespace: 'gravl-monitoring',
        nodeAgentsNamespace: 'gravl-node-agents',
        appNamespace: 'gravl-staging',
        certManagerNamespace: 'cert-manager',
        environment: 'staging',
        network, secrets, metrics,
        cluster: clusterAddresses(env.spec.cluster),
        spec: env.spec.monitoring,
        host: env.spec.host,
        edge: [],
        restoreDrillCopy: 'volume copy',
      });
      metrics.scrapePods({ job: 'cert-manager', pods: { kind: 'pods', description: 'the cert-manager controller', namespace, podLabels: { 'app.kubernetes.io/name': 'cert-manager' } }, port: 9402, find: 'declared' });
      return monitoring.prometheus.node.validate();
    };
    expect(build('cert-manager')).toEqual([]);
    expect(build('certs')).toEqual([
      'scrape job cert-manager is in namespace certs, where Prometheus may not discover (gravl-staging, gravl-monitoring, gravl-node-agents, cert-manager)',
    ]);
  });
});
