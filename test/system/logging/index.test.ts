/** The Logging component: Loki in its own wave, Alloy with the node agents, Grafana admitted as a reader. */
import { describe, expect, it } from 'vitest';
import { environment, loadedEnvironment, objects } from '../../support/render';
import { fileOf } from '../../support/waves';
import { App, Chart } from 'cdk8s';
import { NetworkPolicies } from '../../../lib/kit/network/network-policies';
import { STOCK_DNS, clusterAddresses } from '../../../lib/kit/network/peers';
import { ScrapeTargets } from '../../../lib/kit/scrape';
import { Logging } from '../../../lib/system/logging';

describe.each(['staging', 'production'])('Logging in %s', (name) => {
  const env = environment(name);

  it('applies Loki before the monitoring that queries it, and Alloy with the node agents', () => {
    expect(fileOf(env, 'StatefulSet', 'loki')).toMatch(/^\d{4}-logging\.k8s\.yaml$/);
    expect(fileOf(env, 'DaemonSet', 'alloy')).toMatch(/^\d{4}-node-agents\.k8s\.yaml$/);
    const wave = (kind: string, n: string) => env.manifests.findIndex((m) => m.name === fileOf(env, kind, n));
    expect(wave('StatefulSet', 'loki')).toBeLessThan(wave('Deployment', 'grafana'));
  });

  it('admits its reader Grafana and the collector Alloy to Loki, and Prometheus on its metrics port', () => {
    const policy = objects(env, 'NetworkPolicy', 'loki')[0]!;
    const from = ((policy.spec as any).ingress as any[]).map((r) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name']).sort();
    expect(from).toEqual(['alloy', 'grafana', 'prometheus']);
  });
});

describe('Logging readers', () => {
  it('fails the build when a reader was told another address than the one Loki serves', () => {
    const spec = loadedEnvironment('staging').spec;
    const build = (url: string) => {
      const app = new App();
      const chart = new Chart(app, 'c');
      const network = new NetworkPolicies(chart, 'network', { namespaces: ['gravl-monitoring', 'gravl-node-agents'], dns: STOCK_DNS });
      const reader = { name: 'grafana', namespace: 'gravl-monitoring', selector: { 'app.kubernetes.io/name': 'grafana' }, ports: [] };
      network.addMember(reader);
      return new Logging(app, 'Logging', {
        charts: { store: chart, nodeAgents: chart },
        namespace: 'gravl-monitoring',
        nodeAgentsNamespace: 'gravl-node-agents',
        environment: 'staging',
        network,
        metrics: new ScrapeTargets(),
        cluster: clusterAddresses(spec.cluster),
        spec: spec.logging,
        readers: [{ workload: reader as never, url }],
      });
    };
    expect(() => build('http://loki.gravl-monitoring.svc.cluster.local:3100')).not.toThrow();
    expect(() => build('http://loki.elsewhere.svc.cluster.local:3100')).toThrowError(
      'grafana queries the logs at http://loki.elsewhere.svc.cluster.local:3100, but Loki serves them at http://loki.gravl-monitoring.svc.cluster.local:3100',
    );
  });
});
