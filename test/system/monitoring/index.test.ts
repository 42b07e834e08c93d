/** The Monitoring component: Prometheus, Alertmanager, Grafana, kube-state-metrics in one wave; node-exporter with the node agents. */
import { describe, expect, it } from 'vitest';
import { environment, loadedEnvironment } from '../../support/render';
import { fileOf } from '../../support/waves';
import { ApiObject, App, Chart } from 'cdk8s';
import { NetworkPolicies } from '../../../lib/kit/network/network-policies';
import { STOCK_DNS, clusterAddresses } from '../../../lib/kit/network/peers';
import { ScrapeTargets } from '../../../lib/kit/scrape';
import { Secrets } from '../../../lib/kit/secrets';
import { Monitoring } from '../../../lib/system/monitoring';

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
  it('grants Prometheus discovery in the namespace of every target declared before it finalizes, and refuses one declared after', () => {
    const env = loadedEnvironment('staging');
    const app = new App();
    const chart = new Chart(app, 'c');
    const network = new NetworkPolicies(chart, 'network', { namespaces: ['gravl-monitoring', 'gravl-node-agents'], dns: STOCK_DNS });
    const secrets = new Secrets(chart, 'secrets', { source: { kind: 'sealed', environment: 'staging', file: env.sealed.file, values: env.sealed.values }, declarationsOnly: true });
    const metrics = new ScrapeTargets();
    const pods = (namespace: string) => ({ kind: 'pods' as const, description: 'the cert-manager controller', namespace, podLabels: { 'app.kubernetes.io/name': 'cert-manager' } });
    const monitoring = new Monitoring(app, 'Monitoring', {
      charts: { monitoring: chart, nodeAgents: chart },
      namespace: 'gravl-monitoring',
      nodeAgentsNamespace: 'gravl-node-agents',
      appNamespace: 'gravl-staging',
      environment: 'staging',
      network, secrets, metrics,
      cluster: clusterAddresses(env.spec.cluster),
      spec: env.spec.monitoring,
      host: env.spec.host,
      edge: [],
      restoreDrillCopy: 'volume copy',
    });
    const undiscovered = monitoring.prometheus.node.findAll().flatMap((c) => c.node.validate());
    expect(undiscovered).toContain('Prometheus.discoverTargets() was never called: Prometheus may discover no target');
    metrics.scrapePods({ job: 'cert-manager', pods: pods('certs'), port: 9402, find: 'declared' });
    monitoring.finalize();
    expect(monitoring.prometheus.node.findAll().flatMap((c) => c.node.validate())).toEqual([]);
    const roles = chart.node.findAll().filter((c): c is InstanceType<typeof ApiObject> => c instanceof ApiObject && c.kind === 'Role').map((r) => r.metadata.namespace);
    expect(roles).toEqual(['gravl-monitoring', 'gravl-node-agents', 'certs']);
    expect(() => metrics.scrapePods({ job: 'edge-gateway', pods: pods('edge'), port: 19001, find: 'address' })).toThrowError(/scrape targets are closed/);
  });
});
