import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { NetworkPolicies } from '../../lib/kit/network/network-policies';
import { STOCK_DNS, type AddressRange } from '../../lib/kit/network/peers';
import { PodWorkload } from '../../lib/kit/pod-workload';
import { ScrapeTargets } from '../../lib/kit/scrape';

/** A minimal workload with a Service on the given ports. */
function workload(chart: Chart, network: NetworkPolicies, name: string, ports: Record<string, number>): PodWorkload {
  const servicePorts = Object.entries(ports).map(([portName, containerPort]) => ({ name: portName, containerPort }));
  return new (class extends PodWorkload {})(chart, name, {
    kind: 'Deployment',
    namespace: 'app',
    name,
    component: name,
    network,
    user: 1000,
    servicePorts,
    disruptionDecision: 'test workload',
    containers: [{ name, image: `example.com/${name}:1.0.0`, ports: servicePorts.map((p) => ({ name: p.name, containerPort: p.containerPort })) }],
  });
}

function fixture() {
  const chart = new Chart(new App(), 'test');
  const network = new NetworkPolicies(chart, 'network', { namespaces: ['app'], dns: STOCK_DNS });
  return { chart, network, targets: new ScrapeTargets() };
}

/** The rules of one rendered policy. */
function policy(chart: Chart, name: string): any {
  return chart.toJson().find((o: any) => o.kind === 'NetworkPolicy' && o.metadata.name === name);
}

describe('ScrapeTargets', () => {
  it('opens each declared metrics port to the scraper, whether declared before or after the scraper is named', () => {
    const { chart, network, targets } = fixture();
    const api = workload(chart, network, 'api', { http: 8080, metrics: 9090 });
    targets.scrape({ job: 'api', workload: api, port: 'metrics' });
    const scraper = workload(chart, network, 'scraper', { web: 9091 });
    targets.scrapedBy(scraper);
    const db = workload(chart, network, 'db', { postgres: 5432, metrics: 9187 });
    targets.scrape({ job: 'db', workload: db, port: 'metrics' });
    network.finalize();
    const egress = policy(chart, 'scraper').spec.egress.map((r: any) => `${r.to[0].podSelector.matchLabels['app.kubernetes.io/name']}:${r.ports[0].port}`);
    expect(egress).toEqual(['api:9090', 'db:9187']);
    expect(policy(chart, 'api').spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: scraper.selector } }], ports: [{ protocol: 'TCP', port: 9090 }] }]);
    // Only the metrics port: the API's own port stays closed to the scraper.
    expect(JSON.stringify(policy(chart, 'api').spec.ingress)).not.toContain('8080');
    expect(targets.targets.map((t) => t.job)).toEqual(['api', 'db']);
  });

  it('opens a host-network target at the addresses it is declared at, not at its pods', () => {
    const { chart, network, targets } = fixture();
    const agent = workload(chart, network, 'agent', { metrics: 9100 });
    const nodes: AddressRange = { kind: 'addresses', description: 'the nodes', cidr: '10.20.0.0/19' };
    targets.scrape({ job: 'agent', workload: agent, port: 'metrics', at: [nodes] });
    targets.scrapedBy(workload(chart, network, 'scraper', { web: 9091 }));
    network.finalize();
    expect(policy(chart, 'scraper').spec.egress).toEqual([{ to: [{ ipBlock: { cidr: '10.20.0.0/19' } }], ports: [{ protocol: 'TCP', port: 9100 }] }]);
    expect(policy(chart, 'agent').spec.ingress).toBeUndefined();
  });

  it('opens the port of pods outside the system (declared before or after the scraper) and lists them apart', () => {
    const { chart, network, targets } = fixture();
    const controller = { kind: 'pods' as const, description: 'the cert-manager controller', namespace: 'cert-manager', podLabels: { 'app.kubernetes.io/name': 'cert-manager' } };
    const proxies = { kind: 'pods' as const, description: 'the Gateway data plane', namespace: 'edge', podLabels: { 'app.kubernetes.io/name': 'envoy' } };
    targets.scrapePods({ job: 'cert-manager', pods: controller, port: 9402, find: 'declared' });
    targets.scrapedBy(workload(chart, network, 'scraper', { web: 9091 }));
    targets.scrapePods({ job: 'edge-gateway', pods: proxies, port: 19001, path: '/stats/prometheus', find: 'address' });
    network.finalize();
    const egress = policy(chart, 'scraper').spec.egress.map((r: any) => `${r.to[0].namespaceSelector.matchLabels['kubernetes.io/metadata.name']}:${r.ports[0].port}`);
    expect(egress).toEqual(['cert-manager:9402', 'edge:19001']);
    expect(targets.podTargets.map((t) => t.job)).toEqual(['cert-manager', 'edge-gateway']);
    expect(targets.targets).toEqual([]);
  });

  it('rejects a pod job that a workload already declared', () => {
    const { chart, network, targets } = fixture();
    targets.scrape({ job: 'x', workload: workload(chart, network, 'one', { metrics: 1 }), port: 'metrics' });
    const pods = { kind: 'pods' as const, description: 'the proxies', namespace: 'edge', podLabels: { a: 'b' } };
    expect(() => targets.scrapePods({ job: 'x', pods, port: 2, find: 'address' })).toThrowError('scrape job x is declared by one and by the proxies: a job is one target');
  });

  it('rejects a port the workload does not have, naming the ports it has', () => {
    const { chart, network, targets } = fixture();
    const api = workload(chart, network, 'api', { http: 8080 });
    expect(() => targets.scrape({ job: 'api', workload: api, port: 'metrics' })).toThrowError(/api has no port named metrics/);
  });

  it('rejects the same job declared twice, naming both workloads', () => {
    const { chart, network, targets } = fixture();
    targets.scrape({ job: 'x', workload: workload(chart, network, 'one', { metrics: 1 }), port: 'metrics' });
    expect(() => targets.scrape({ job: 'x', workload: workload(chart, network, 'two', { metrics: 2 }), port: 'metrics' })).toThrowError(
      'scrape job x is declared by one and by two: a job is one target',
    );
  });

  it('rejects a second scraper', () => {
    const { chart, network, targets } = fixture();
    targets.scrapedBy(workload(chart, network, 'one', { web: 1 }));
    expect(() => targets.scrapedBy(workload(chart, network, 'two', { web: 2 }))).toThrowError(/already have a scraper \(one\)/);
  });
});
