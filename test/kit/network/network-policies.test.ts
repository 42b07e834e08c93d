import { App, Chart } from 'cdk8s';
import { describe, expect, it } from 'vitest';
import { NetworkPolicies } from '../../../lib/kit/network/network-policies';
import { internet, STOCK_DNS, type ForeignPods, type NetworkMember } from '../../../lib/kit/network/peers';

/** Pods this generator does not deploy, for the flows below. */
const STOCK_INGRESS_NGINX: ForeignPods = { kind: 'pods', description: 'the ingress-nginx controller', namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } };
import { environment, objects } from '../../support/render';

function fresh(namespaces = ['app']) {
  const chart = new Chart(new App(), 'test');
  return { chart, network: new NetworkPolicies(chart, 'network', { namespaces, dns: STOCK_DNS }) };
}
const api: NetworkMember = { name: 'api', namespace: 'app', selector: { 'app.kubernetes.io/name': 'api' }, ports: [{ name: 'http', containerPort: 8080 }] };
const db: NetworkMember = { name: 'db', namespace: 'data', selector: { 'app.kubernetes.io/name': 'db' }, ports: [{ name: 'postgres', containerPort: 5432 }] };

describe('NetworkPolicies', () => {
  it('gives every owned namespace a default deny of ingress and egress and DNS egress to CoreDNS by stock labels', () => {
    for (const name of ['staging', 'production']) {
      const env = environment(name);
      const namespaces = objects(env, 'Namespace').map((n) => n.metadata.name);
      for (const namespace of namespaces) {
        const deny = objects(env, 'NetworkPolicy', 'default-deny').find((p) => p.metadata.namespace === namespace);
        expect(deny?.spec, `${name} ${namespace}`).toEqual({ podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
        const dns = objects(env, 'NetworkPolicy', 'allow-dns-egress').find((p) => p.metadata.namespace === namespace);
        expect((dns?.spec as any).egress).toEqual([
          {
            to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
            ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }],
          },
        ]);
      }
    }
  });

  it('renders the same policies, in the same order, whatever order members and flows were declared in', () => {
    const web: NetworkMember = { name: 'web', namespace: 'app', selector: { 'app.kubernetes.io/name': 'web' }, ports: [{ name: 'http', containerPort: 3000 }] };
    const render = (order: 'forward' | 'backward') => {
      const { chart, network } = fresh(['app', 'data']);
      const members = order === 'forward' ? [api, web, db] : [db, web, api];
      for (const m of members) network.addMember(m);
      const flows: [NetworkMember | ReturnType<typeof internet>, NetworkMember, string | number][] = [
        [api, db, 'postgres'],
        [web, db, 'postgres'],
        [web, api, 'http'],
        [api, internet('external APIs'), 443] as unknown as [NetworkMember, NetworkMember, number],
      ];
      for (const [from, to, port] of order === 'forward' ? flows : [...flows].reverse()) network.allow(from, to, [port]);
      network.finalize();
      return chart.toJson();
    };
    const forward = render('forward');
    expect(render('backward')).toEqual(forward);
    // Each namespace's policies together, its members by name; rules in a fixed order.
    expect(forward.map((p: any) => `${p.metadata.namespace}/${p.metadata.name}`)).toEqual([
      'app/default-deny', 'app/allow-dns-egress', 'app/api', 'app/web', 'data/default-deny', 'data/allow-dns-egress', 'data/db',
    ]);
    const dbPolicy = forward.find((p: any) => p.metadata.name === 'db');
    expect(dbPolicy.spec.ingress.map((r: any) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name'])).toEqual(['api', 'web']);
  });

  it('opens a flow between two members on both sides, with both selectors in one peer across namespaces', () => {
    const { chart, network } = fresh(['app', 'data']);
    network.addMember(api);
    network.addMember(db);
    network.allow(api, db, ['postgres']);
    network.finalize();
    const policies = chart.toJson();
    const apiPolicy = policies.find((p: any) => p.metadata.name === 'api');
    const dbPolicy = policies.find((p: any) => p.metadata.name === 'db');
    expect(apiPolicy.spec.egress).toEqual([
      {
        to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'data' } }, podSelector: { matchLabels: db.selector } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    expect(dbPolicy.spec.ingress).toEqual([
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'app' } }, podSelector: { matchLabels: api.selector } }],
        ports: [{ protocol: 'TCP', port: 5432 }],
      },
    ]);
    expect(dbPolicy.spec.egress).toBeUndefined();
    expect(dbPolicy.spec.policyTypes).toEqual(['Ingress', 'Egress']);
  });

  it('keeps the internet rule off private, shared and link-local ranges', () => {
    const { chart, network } = fresh();
    network.addMember(api);
    network.allow(api, internet('APIs'), [443]);
    network.finalize();
    const policy = chart.toJson().find((p: any) => p.metadata.name === 'api');
    expect(policy.spec.egress[0].to[0].ipBlock).toEqual({ cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] });
  });

  it('rejects a flow to a port the destination does not declare', () => {
    const { network } = fresh();
    network.addMember(api);
    expect(() => network.allow(STOCK_INGRESS_NGINX, api, ['metrics'])).toThrow(/api declares no port named metrics/);
  });

  it('rejects a flow with no port at all', () => {
    const { network } = fresh();
    network.addMember(api);
    expect(() => network.allow(STOCK_INGRESS_NGINX, api, [])).toThrow(/names no port/);
  });

  it('rejects a flow of a workload that never joined, and one in a namespace it does not own', () => {
    const { network } = fresh();
    expect(() => network.allow(STOCK_INGRESS_NGINX, api, ['http'])).toThrow(/never added as a network member/);
    expect(() => network.addMember(db)).toThrow(/namespace data is not one this generator owns/);
  });

  it('rejects flows declared after the policies were rendered', () => {
    const { network } = fresh();
    network.addMember(api);
    network.finalize();
    expect(() => network.allow(STOCK_INGRESS_NGINX, api, ['http'])).toThrow(/already rendered/);
  });

  it('fails synthesis when the policies were never rendered', () => {
    const { chart, network } = fresh();
    network.addMember(api);
    expect(() => chart.toJson()).toThrow(/NetworkPolicies.finalize\(\) was never called/);
  });

  it('gives every pod-owning workload a policy of its own beyond the namespace defaults', () => {
    for (const name of ['staging', 'production']) {
      const env = environment(name);
      const all = [...env.objects, ...env.manualObjects];
      const policies = all.filter((p) => p.kind === 'NetworkPolicy' && !['default-deny', 'allow-dns-egress'].includes(p.metadata.name));
      // The manual Jobs (restore, load test) too: they run under the same default deny.
      const workloads = all.filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Job'].includes(o.kind));
      expect(workloads.map((w) => w.metadata.name)).toEqual(expect.arrayContaining(['load-test', 'postgres-restore']));
      for (const workload of workloads) {
        const labels = (workload.kind === 'CronJob' ? (workload.spec as any).jobTemplate.spec.template : (workload.spec as any).template).metadata.labels;
        const own = policies.filter((p) => p.metadata.namespace === workload.metadata.namespace && Object.entries((p.spec as any).podSelector.matchLabels ?? {}).every(([k, v]) => labels[k] === v));
        expect(own.length, `${name} ${workload.kind} ${workload.metadata.name}`).toBeGreaterThan(0);
      }
    }
  });
});
