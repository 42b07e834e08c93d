import { describe, expect, it } from 'vitest';
import { renderCommitted } from '../../support/render';
import {
  NetworkModel,
  STOCK,
  namespacesFromObjects,
  podsFromObjects,
  type Endpoint,
  type NetExternal,
  type NetPod,
  type Protocol,
} from '../../../lib/review/inspect/network-policy';
import { type KubeObject } from '../../../lib/contract';

const APP = 'gravl-staging';
const OTHER = 'gravl-other';

const namespaces = namespacesFromObjects([
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: APP, labels: { team: 'gravl', 'pod-security.kubernetes.io/enforce': 'restricted' } } },
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: OTHER, labels: { team: 'other' } } },
]);

function pod(name: string, labels: Record<string, string>, ip: string, ports: NetPod['ports'] = [], namespace = APP): NetPod {
  return { kind: 'pod', name, namespace, labels, ip, ports };
}

const web = pod('web', { app: 'web' }, '10.244.1.1', [{ name: 'http', port: 8080, protocol: 'TCP' }]);
const api = pod('api', { app: 'api', tier: 'backend' }, '10.244.1.2', [
  { name: 'http', port: 3000, protocol: 'TCP' },
  { name: 'metrics', port: 3001, protocol: 'TCP' },
]);
const db = pod('db', { app: 'db', tier: 'data' }, '10.244.1.3', [{ name: 'postgres', port: 5432, protocol: 'TCP' }]);
const otherApi = pod('api', { app: 'api', tier: 'backend' }, '10.244.1.4', [{ name: 'http', port: 3000, protocol: 'TCP' }], OTHER);
const metricsServer = pod('metrics-server', { 'k8s-app': 'metrics-server' }, '10.244.1.5', [{ name: 'https', port: 4443, protocol: 'TCP' }], 'kube-system');
// Wears CoreDNS's labels in the app's own namespace: a podSelector alone would pick it.
const fakeDns = pod('fake-dns', { 'k8s-app': 'kube-dns' }, '10.244.1.6', [{ name: 'dns', port: 53, protocol: 'UDP' }]);
const partner: NetExternal = { kind: 'external', name: 'partner', ip: '203.0.113.7' };
const { coreDns, ingressNginx, stranger, internet } = STOCK;

function policy(name: string, spec: Record<string, unknown>, namespace = APP): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace }, spec };
}

function model(...policies: KubeObject[]): NetworkModel {
  return new NetworkModel(policies, namespaces);
}

/** Expects each connection's verdict; a failure shows the verdict's reason. */
function expectVerdicts(m: NetworkModel, cases: Array<[from: Endpoint, to: Endpoint, port: number, protocol: Protocol | undefined, allowed: boolean]>): void {
  for (const [from, to, port, protocol, allowed] of cases) {
    const verdict = m.allows(from, to, port, protocol);
    expect(verdict, verdict.reason).toMatchObject({ allowed });
  }
}

const denyAll = policy('default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
const allowDns = policy('allow-dns', {
  podSelector: {},
  policyTypes: ['Egress'],
  egress: [
    {
      to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }],
      ports: [
        { port: 53, protocol: 'UDP' },
        { port: 53, protocol: 'TCP' },
      ],
    },
  ],
});

describe('NetworkModel', () => {
  describe('isolation', () => {
    it('allows every connection between pods no policy selects', () => {
      expectVerdicts(model(), [
        [web, api, 3000, 'TCP', true],
        [stranger, db, 5432, 'TCP', true],
        [db, internet, 443, 'TCP', true],
        [internet, web, 8080, 'TCP', true],
        [web, coreDns, 53, 'UDP', true],
      ]);
    });

    it('says in the reason that a pod no policy selects is not isolated', () => {
      expect(model().allows(web, api, 3000).reason).toMatch(/egress from web: not isolated for egress.*ingress to api: not isolated for ingress/);
    });

    it('denies all ingress and egress of every pod in the namespace under a default-deny policy', () => {
      expectVerdicts(model(denyAll), [
        [web, api, 3000, 'TCP', false],
        [stranger, db, 5432, 'TCP', false],
        [internet, web, 8080, 'TCP', false],
        [db, internet, 443, 'TCP', false],
        [web, coreDns, 53, 'UDP', false],
      ]);
    });

    it('names the isolating policy in the reason of a denial', () => {
      const verdict = model(denyAll).allows(web, api, 3000);
      expect(verdict.allowed).toBe(false);
      expect(verdict.reason).toContain('isolated for ingress by NetworkPolicy gravl-staging/default-deny');
      expect(verdict.reason).toContain('NetworkPolicy gravl-staging/default-deny has no ingress rules');
    });

    it('leaves pods of other namespaces unaffected by a default-deny policy', () => {
      expectVerdicts(model(denyAll), [
        [otherApi, coreDns, 53, 'UDP', true],
        [stranger, otherApi, 3000, 'TCP', true],
      ]);
    });

    it('isolates only the pods its podSelector selects', () => {
      const m = model(policy('deny-db', { podSelector: { matchLabels: { app: 'db' } } }));
      expectVerdicts(m, [
        [api, db, 5432, 'TCP', false],
        [web, api, 3000, 'TCP', true],
      ]);
    });

    it('denies a connection that egress allows when the destination denies it on ingress, and the reverse', () => {
      const ingressOnly = policy('deny-ingress-api', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Ingress'] });
      const egressOnly = policy('deny-egress-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'] });
      const ingressDenied = model(ingressOnly).allows(web, api, 3000);
      expect(ingressDenied.allowed).toBe(false);
      expect(ingressDenied.reason).toMatch(/egress from web: not isolated.*ingress to api: isolated for ingress by NetworkPolicy gravl-staging\/deny-ingress-api/);
      const egressDenied = model(egressOnly).allows(web, api, 3000);
      expect(egressDenied.allowed).toBe(false);
      expect(egressDenied.reason).toMatch(/egress from web: isolated for egress by NetworkPolicy gravl-staging\/deny-egress-web.*ingress to api: not isolated/);
    });

    it('allows the union of the rules of every policy that selects a pod', () => {
      const fromWeb = policy('api-from-web', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
      const fromDb = policy('api-from-db', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }] });
      const m = model(denyAll, fromWeb, fromDb, policy('egress-all', { podSelector: {}, egress: [{}] }));
      expectVerdicts(m, [
        [web, api, 3000, 'TCP', true],
        [db, api, 3000, 'TCP', true],
        [stranger, api, 3000, 'TCP', false],
      ]);
      expect(m.allows(web, api, 3000).reason).toContain('allowed by NetworkPolicy gravl-staging/api-from-web ingress[0]');
    });
  });

  describe('policyTypes', () => {
    it('defaults to Ingress alone for a policy without egress rules', () => {
      const m = model(policy('ingress-default', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] }));
      expectVerdicts(m, [
        [web, api, 3000, 'TCP', true],
        [stranger, api, 3000, 'TCP', false],
        [api, internet, 443, 'TCP', true],
      ]);
    });

    it('defaults to Ingress and Egress for a policy with egress rules, which therefore denies all ingress', () => {
      const m = model(policy('egress-only-rules', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'api' } } }] }] }));
      expectVerdicts(m, [
        [web, api, 3000, 'TCP', true],
        [web, db, 5432, 'TCP', false],
        [stranger, web, 8080, 'TCP', false],
      ]);
    });

    it('does not isolate egress for an empty egress list when policyTypes is absent', () => {
      const m = model(policy('empty-egress', { podSelector: {}, egress: [] }));
      expectVerdicts(m, [
        [web, internet, 443, 'TCP', true],
        [stranger, web, 8080, 'TCP', false],
      ]);
    });

    it('applies the default to an empty policyTypes list', () => {
      const m = model(policy('empty-types', { podSelector: {}, policyTypes: [] }));
      expectVerdicts(m, [
        [stranger, web, 8080, 'TCP', false],
        [web, internet, 443, 'TCP', true],
      ]);
    });

    it('ignores ingress rules of a policy whose policyTypes lists only Egress', () => {
      const m = model(policy('egress-typed', { podSelector: {}, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'nobody' } } }] }] }));
      expectVerdicts(m, [
        [stranger, web, 8080, 'TCP', true],
        [web, internet, 443, 'TCP', false],
      ]);
    });

    it('denies all egress of a policy typed Egress with no egress rules', () => {
      expectVerdicts(model(policy('deny-egress', { podSelector: {}, policyTypes: ['Egress'] })), [
        [web, api, 3000, 'TCP', false],
        [stranger, web, 8080, 'TCP', true],
      ]);
    });
  });

  describe('rules and peers', () => {
    it('allows every peer and every port for a rule with neither peers nor ports', () => {
      const m = model(policy('allow-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{ to: [], ports: [] }] }));
      expectVerdicts(m, [
        [stranger, web, 8080, 'TCP', true],
        [internet, web, 1, 'UDP', true],
        [web, internet, 65535, 'SCTP', true],
      ]);
    });

    it('allows DNS egress to CoreDNS selected by kubernetes.io/metadata.name=kube-system and k8s-app=kube-dns', () => {
      expectVerdicts(model(denyAll, allowDns), [
        [web, coreDns, 53, 'UDP', true],
        [web, coreDns, 53, 'TCP', true],
      ]);
    });

    it('denies egress to other ports of CoreDNS, to other pods of kube-system and to impostors elsewhere under the DNS policy', () => {
      expectVerdicts(model(denyAll, allowDns), [
        [web, coreDns, 9153, 'TCP', false],
        [web, metricsServer, 53, 'UDP', false],
        [web, fakeDns, 53, 'UDP', false],
        [web, internet, 53, 'UDP', false],
      ]);
    });

    it('denies DNS when the namespaceSelector uses a name label, which stock clusters do not set', () => {
      const trap = policy('allow-dns-by-name', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { name: 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: [{ port: 53, protocol: 'UDP' }] }],
      });
      const verdict = model(trap).allows(web, coreDns, 53, 'UDP');
      expect(verdict.allowed).toBe(false);
      expect(verdict.reason).toContain('NetworkPolicy gravl-staging/allow-dns-by-name egress[0]: peer does not match');
    });

    it('treats a namespaceSelector and a podSelector in one peer as pods matching both', () => {
      expectVerdicts(model(allowDns), [
        [web, coreDns, 53, 'UDP', true],
        [web, metricsServer, 53, 'UDP', false],
        [web, fakeDns, 53, 'UDP', false],
      ]);
    });

    it('treats them as two peers, either of which matches, when written as separate list items', () => {
      const separate = policy('allow-dns-separate', {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } } }, { podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }] }],
      });
      expectVerdicts(model(separate), [
        [web, coreDns, 53, 'UDP', true],
        [web, metricsServer, 4443, 'TCP', true],
        [web, fakeDns, 53, 'UDP', true],
        [web, stranger, 53, 'UDP', false],
      ]);
    });

    it('limits a podSelector alone to pods of the policy namespace', () => {
      const m = model(policy('api-from-backend', { podSelector: { matchLabels: { app: 'api' } }, ingress: [{ from: [{ podSelector: { matchLabels: { tier: 'backend' } } }] }] }));
      expectVerdicts(m, [
        [api, api, 3000, 'TCP', true],
        [otherApi, api, 3000, 'TCP', false],
      ]);
    });

    it('matches every pod of the policy namespace, and only it, with an empty podSelector', () => {
      const m = model(policy('same-namespace', { podSelector: {}, ingress: [{ from: [{ podSelector: {} }] }] }));
      expectVerdicts(m, [
        [web, db, 5432, 'TCP', true],
        [otherApi, db, 5432, 'TCP', false],
        [internet, db, 5432, 'TCP', false],
      ]);
    });

    it('matches every pod of every namespace, but no external address, with an empty namespaceSelector', () => {
      const m = model(policy('cluster', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }));
      expectVerdicts(m, [
        [otherApi, db, 5432, 'TCP', true],
        [ingressNginx, web, 8080, 'TCP', true],
        [stranger, web, 8080, 'TCP', true],
        [internet, web, 8080, 'TCP', false],
      ]);
    });

    it('matches namespaces by their own labels with a namespaceSelector', () => {
      const m = model(policy('team', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'other' } } }] }] }));
      expectVerdicts(m, [
        [otherApi, web, 8080, 'TCP', true],
        [api, web, 8080, 'TCP', false],
        [stranger, web, 8080, 'TCP', false],
      ]);
    });

    it('allows the stock ingress-nginx controller by its namespace and labels', () => {
      const m = model(
        policy('from-ingress', {
          podSelector: { matchLabels: { app: 'web' } },
          ingress: [
            {
              from: [
                {
                  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } },
                  podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } },
                },
              ],
              ports: [{ port: 'http' }],
            },
          ],
        }),
      );
      expectVerdicts(m, [
        [ingressNginx, web, 8080, 'TCP', true],
        [stranger, web, 8080, 'TCP', false],
      ]);
    });

    it('evaluates In, NotIn, Exists and DoesNotExist expressions, NotIn matching pods without the key', () => {
      const withExpression = (expression: Record<string, unknown>) =>
        model(policy('expr', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [expression] } }] }] }));
      const inBackend = withExpression({ key: 'tier', operator: 'In', values: ['backend', 'edge'] });
      const notInData = withExpression({ key: 'tier', operator: 'NotIn', values: ['data'] });
      const hasTier = withExpression({ key: 'tier', operator: 'Exists' });
      const noTier = withExpression({ key: 'tier', operator: 'DoesNotExist' });
      expectVerdicts(inBackend, [
        [api, web, 8080, 'TCP', true],
        [db, web, 8080, 'TCP', false],
        [fakeDns, web, 8080, 'TCP', false],
      ]);
      expectVerdicts(notInData, [
        [api, web, 8080, 'TCP', true],
        [db, web, 8080, 'TCP', false],
        [fakeDns, web, 8080, 'TCP', true],
      ]);
      expectVerdicts(hasTier, [
        [db, web, 8080, 'TCP', true],
        [fakeDns, web, 8080, 'TCP', false],
      ]);
      expectVerdicts(noTier, [
        [db, web, 8080, 'TCP', false],
        [fakeDns, web, 8080, 'TCP', true],
      ]);
    });

    it('requires every matchLabels entry and every expression of a selector to match', () => {
      const m = model(
        policy('both', {
          podSelector: {},
          ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] } }] }],
        }),
      );
      expectVerdicts(m, [
        [api, db, 5432, 'TCP', true],
        [db, web, 8080, 'TCP', false],
      ]);
    });

    it('does not read selector keys from the object prototype', () => {
      const m = model(policy('proto', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'constructor', operator: 'Exists' }] } }] }] }));
      expectVerdicts(m, [[web, db, 5432, 'TCP', false]]);
    });
  });

  describe('ipBlock', () => {
    const internetExceptPrivate = policy('internet', {
      podSelector: { matchLabels: { app: 'api' } },
      policyTypes: ['Egress'],
      egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'] } }] }],
    });

    it('allows addresses inside the cidr and outside every except block', () => {
      expectVerdicts(model(internetExceptPrivate), [
        [api, internet, 443, 'TCP', true],
        [api, partner, 443, 'TCP', true],
        [api, { kind: 'external', name: 'just-outside', ip: '172.32.0.1' }, 443, 'TCP', true],
      ]);
    });

    it('denies addresses inside an except block, pods included by their pod address', () => {
      expectVerdicts(model(internetExceptPrivate), [
        [api, db, 5432, 'TCP', false],
        [api, coreDns, 53, 'UDP', false],
        [api, { kind: 'external', name: 'lan', ip: '192.168.1.10' }, 443, 'TCP', false],
        [api, { kind: 'external', name: 'edge-of-172', ip: '172.31.255.255' }, 443, 'TCP', false],
      ]);
    });

    it('matches pods by their pod address', () => {
      const m = model(policy('pod-net', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.244.0.0/24' } }] }] }));
      expectVerdicts(m, [
        [coreDns, web, 8080, 'TCP', true],
        [stranger, web, 8080, 'TCP', true],
        [api, web, 8080, 'TCP', false],
      ]);
    });

    it('allows ingress from an external address only when its block contains it', () => {
      const m = model(policy('partner', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.7/32' } }] }] }));
      expectVerdicts(m, [
        [partner, web, 8080, 'TCP', true],
        [internet, web, 8080, 'TCP', false],
        [{ kind: 'external', name: 'neighbour', ip: '203.0.113.8' }, web, 8080, 'TCP', false],
      ]);
    });

    it('masks host bits of a cidr, as the API server accepts them', () => {
      const m = model(policy('sloppy', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '93.184.216.200/24' } }] }] }));
      expectVerdicts(m, [
        [web, internet, 443, 'TCP', true],
        [web, { kind: 'external', name: 'next-block', ip: '93.184.217.1' }, 443, 'TCP', false],
      ]);
    });

    it('matches nothing with an IPv6 block, since every modelled address is IPv4', () => {
      const m = model(policy('v6', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '::/0' } }] }] }));
      expectVerdicts(m, [[web, internet, 443, 'TCP', false]]);
    });
  });

  describe('ports', () => {
    it('allows only the listed port, on TCP when no protocol is given', () => {
      const m = model(policy('db-5432', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 5432 }] }] }));
      expectVerdicts(m, [
        [api, db, 5432, undefined, true],
        [api, db, 5433, 'TCP', false],
        [api, db, 5432, 'UDP', false],
      ]);
    });

    it('denies UDP on a rule for TCP port 53, and the reverse', () => {
      const tcp = model(policy('dns-tcp', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53 }] }] }));
      const udp = model(policy('dns-udp', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }));
      expectVerdicts(tcp, [
        [web, coreDns, 53, 'UDP', false],
        [web, coreDns, 53, 'TCP', true],
      ]);
      expectVerdicts(udp, [
        [web, coreDns, 53, 'TCP', false],
        [web, coreDns, 53, 'UDP', true],
      ]);
      expect(tcp.allows(web, coreDns, 53, 'UDP').reason).toContain('port does not match');
    });

    it('allows every port of a protocol for a port entry with a protocol and no port', () => {
      const m = model(policy('all-udp', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ protocol: 'UDP' }] }] }));
      expectVerdicts(m, [
        [web, internet, 12345, 'UDP', true],
        [web, internet, 12345, 'TCP', false],
      ]);
    });

    it('allows the range from port to endPort inclusive', () => {
      const m = model(policy('range', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 32000, endPort: 32768 }] }] }));
      expectVerdicts(m, [
        [web, partner, 32000, 'TCP', true],
        [web, partner, 32400, 'TCP', true],
        [web, partner, 32768, 'TCP', true],
        [web, partner, 31999, 'TCP', false],
        [web, partner, 32769, 'TCP', false],
        [web, partner, 32400, 'UDP', false],
      ]);
    });

    it('resolves a named ingress port against the protected pod’s declared ports', () => {
      const m = model(policy('http-only', { podSelector: {}, ingress: [{ ports: [{ port: 'http' }] }] }));
      expectVerdicts(m, [
        [web, api, 3000, 'TCP', true],
        [api, web, 8080, 'TCP', true],
        [web, api, 3001, 'TCP', false],
        [api, web, 3000, 'TCP', false],
        [api, db, 5432, 'TCP', false],
      ]);
    });

    it('resolves a named egress port against the destination pod’s declared ports and protocol', () => {
      const m = model(policy('dns-by-name', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'dns', protocol: 'UDP' }] }] }));
      expectVerdicts(m, [
        [web, coreDns, 53, 'UDP', true],
        [web, fakeDns, 53, 'UDP', true],
        [web, coreDns, 53, 'TCP', false],
        [web, metricsServer, 53, 'UDP', false],
      ]);
    });

    it('denies a named port whose name the destination declares only for another protocol', () => {
      const m = model(policy('dns-tcp-by-name', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 'dns' }] }] }));
      expectVerdicts(m, [
        [web, coreDns, 53, 'TCP', false],
        [web, coreDns, 53, 'UDP', false],
      ]);
    });

    it('denies a named port towards an external address, which declares no ports', () => {
      const m = model(policy('https-by-name', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [], ports: [{ port: 'https' }] }] }));
      expectVerdicts(m, [
        [web, internet, 443, 'TCP', false],
        [web, ingressNginx, 443, 'TCP', true],
      ]);
    });
  });

  describe('inputs', () => {
    it('ignores objects that are not NetworkPolicies', () => {
      const deployment: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: APP }, spec: { podSelector: {} } };
      expectVerdicts(new NetworkModel([deployment], namespaces), [[stranger, web, 8080, 'TCP', true]]);
    });

    it('labels every namespace with kubernetes.io/metadata.name even when the caller omits it', () => {
      const m = new NetworkModel([policy('by-name', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': OTHER } } }] }] })], [
        { name: APP, labels: {} },
        { name: OTHER, labels: {} },
      ]);
      expectVerdicts(m, [
        [otherApi, web, 8080, 'TCP', true],
        [api, web, 8080, 'TCP', false],
      ]);
    });

    it('rejects a pod whose namespace the model does not know', () => {
      const lost = pod('lost', {}, '10.244.9.9', [], 'nowhere');
      expect(() => model().allows(lost, web, 8080)).toThrow(/namespace nowhere is not one the model knows/);
    });

    it('rejects an endpoint address that is not IPv4, and a port out of range', () => {
      expect(() => model().allows({ kind: 'external', name: 'bad', ip: '300.1.1.1' }, web, 8080)).toThrow(/expected an IPv4 address/);
      expect(() => model().allows(web, api, 0)).toThrow(/expected an integer from 1 to 65535/);
    });

    it('rejects a namespace listed twice', () => {
      expect(() => new NetworkModel([], [...namespaces, { name: APP, labels: {} }])).toThrow(/namespace gravl-staging: listed twice/);
    });

    it('rejects, all at once, every policy problem the API server would refuse', () => {
      const bad = policy('bad', {
        podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['web'] }] },
        policyTypes: ['Ingress', 'Sideways'],
        ingress: [
          {
            from: [{}, { ipBlock: { cidr: '10.0.0.0/8' }, podSelector: {} }, { ipBlock: { cidr: '10.0.0.0/24', except: ['192.168.0.0/24', '10.0.0.0/24'] } }, { ipBlock: { cidr: '10.0.0.0/33' } }],
            ports: [{ port: 'http', endPort: 90 }, { port: 90, endPort: 80 }, { endPort: 80 }, { port: 70000 }, { port: 53, protocol: 'ICMP' }],
          },
        ],
        egress: [{ to: [{ podSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: [] }, { key: 'tier', operator: 'Exists', values: ['x'] }] } }] }],
      });
      let message = '';
      try {
        model(bad);
      } catch (error) {
        message = (error as Error).message;
      }
      const lines = message.split('\n').slice(1);
      expect(message).toMatch(/^NetworkModel: 14 problem\(s\)/);
      for (const expected of [
        'spec.podSelector.matchExpressions[0].operator: found "Equals", expected one of In, NotIn, Exists, DoesNotExist',
        'spec.policyTypes[1]: found "Sideways", expected Ingress or Egress',
        'spec.ingress[0].from[0]: found {}, expected a peer',
        'spec.ingress[0].from[1]: found ["ipBlock","podSelector"], expected ipBlock alone',
        'spec.ingress[0].from[2].ipBlock.except[0]: found "192.168.0.0/24", expected a strict subset of cidr 10.0.0.0/24',
        'spec.ingress[0].from[2].ipBlock.except[1]: found "10.0.0.0/24", expected a strict subset of cidr 10.0.0.0/24',
        'spec.ingress[0].from[3].ipBlock.cidr: found "10.0.0.0/33", expected a CIDR',
        'spec.ingress[0].ports[0].endPort: found 90, expected no endPort when port is a name',
        'spec.ingress[0].ports[1].endPort: found 80, expected a port greater than or equal to port 90',
        'spec.ingress[0].ports[2].endPort: found 80, expected no endPort when port is not specified',
        'spec.ingress[0].ports[3].port: found 70000, expected an integer from 1 to 65535',
        'spec.ingress[0].ports[4].protocol: found "ICMP", expected one of TCP, UDP, SCTP',
        'spec.egress[0].to[0].podSelector.matchExpressions[0].values: found [], expected at least one value for operator In',
        'spec.egress[0].to[0].podSelector.matchExpressions[1].values: found ["x"], expected no values for operator Exists',
      ]) {
        expect(lines).toContainEqual(expect.stringContaining(`NetworkPolicy gravl-staging/bad: ${expected}`));
      }
    });

    it('rejects a NetworkPolicy of another API version', () => {
      const old = { ...policy('old', { podSelector: {} }), apiVersion: 'extensions/v1beta1' };
      expect(() => model(old)).toThrow(/NetworkPolicy gravl-staging\/old: apiVersion: found "extensions\/v1beta1", expected networking.k8s.io\/v1/);
    });

    it('rejects a port name that is not a valid IANA service name', () => {
      expect(() => model(policy('name', { podSelector: {}, ingress: [{ ports: [{ port: 'HTTP_port' }] }] }))).toThrow(/ports\[0\]\.port: found "HTTP_port"/);
      expect(() => model(policy('digits', { podSelector: {}, ingress: [{ ports: [{ port: '8080' }] }] }))).toThrow(/ports\[0\]\.port: found "8080"/);
    });
  });
});

describe('podsFromObjects', () => {
  const container = (ports: unknown[]) => ({ name: 'main', image: 'x', ports });
  const objects: KubeObject[] = [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: APP }, spec: { selector: { app: 'web' } } },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: APP, labels: { ignored: 'object-label' } },
      spec: {
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            initContainers: [{ name: 'migrate', image: 'x', ports: [{ name: 'init', containerPort: 9999 }] }],
            containers: [container([{ name: 'http', containerPort: 8080 }]), container([{ containerPort: 9090, protocol: 'UDP' }])],
          },
        },
      },
    },
    {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: APP },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { metadata: { labels: { app: 'backup' } }, spec: { containers: [container([])] } } } } },
    },
    { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db' }, spec: { template: { metadata: { labels: { app: 'db' } }, spec: { containers: [container([{ name: 'postgres', containerPort: 5432 }])] } } } },
  ];

  it('derives one pod per workload with its template labels, namespace and container ports, init containers excluded', () => {
    expect(podsFromObjects(objects)).toEqual([
      {
        kind: 'pod',
        name: 'web',
        namespace: APP,
        labels: { app: 'web' },
        ip: '10.244.1.1',
        ports: [
          { name: 'http', port: 8080, protocol: 'TCP' },
          { port: 9090, protocol: 'UDP' },
        ],
      },
      { kind: 'pod', name: 'backup', namespace: APP, labels: { app: 'backup' }, ip: '10.244.1.2', ports: [] },
      { kind: 'pod', name: 'db', namespace: 'default', labels: { app: 'db' }, ip: '10.244.1.3', ports: [{ name: 'postgres', port: 5432, protocol: 'TCP' }] },
    ]);
  });

  it('leaves out pods on the host network, which no NetworkPolicy governs', () => {
    const agent: KubeObject = {
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: { name: 'node-exporter', namespace: 'agents' },
      spec: { template: { metadata: { labels: { app: 'node-exporter' } }, spec: { hostNetwork: true, containers: [container([{ containerPort: 9100 }])] } } },
    };
    expect(podsFromObjects([...objects, agent]).map((p) => p.name)).toEqual(['web', 'backup', 'db']);
    expect(podsFromObjects([agent])).toEqual([]);
  });

  it('gives distinct addresses in 10.244.0.0/16 that no stock pod uses, the same on every call', () => {
    const many: KubeObject[] = Array.from({ length: 600 }, (_, i) => ({ apiVersion: 'batch/v1', kind: 'Job', metadata: { name: `job-${i}`, namespace: APP }, spec: { template: { spec: { containers: [] } } } }));
    const ips = podsFromObjects(many).map((p) => p.ip);
    const stockIps = [STOCK.coreDns, STOCK.ingressNginx, STOCK.stranger].map((p) => p.ip);
    expect(new Set([...ips, ...stockIps]).size).toBe(603);
    for (const ip of [...ips, ...stockIps]) expect(ip).toMatch(/^10\.244\.(\d+)\.(\d+)$/);
    expect(ips.every((ip) => !ip.endsWith('.0') && !ip.endsWith('.255'))).toBe(true);
    expect(podsFromObjects(many).map((p) => p.ip)).toEqual(ips);
  });

  it('derives the backend pod of each rendered environment with its http and metrics ports', () => {
    for (const env of renderCommitted()) {
      const backend = podsFromObjects(env.objects).find((p) => p.name === 'backend');
      expect(backend, env.name).toBeDefined();
      expect(backend!.ports).toEqual(
        expect.arrayContaining([
          { name: 'http', port: 3000, protocol: 'TCP' },
          { name: 'metrics', port: 3001, protocol: 'TCP' },
        ]),
      );
      expect(backend!.labels).toHaveProperty(['app.kubernetes.io/name'], 'backend');
    }
  });
});

describe('namespacesFromObjects', () => {
  it('labels each Namespace object with kubernetes.io/metadata.name, keeping its own labels', () => {
    expect(namespaces.find((n) => n.name === APP)).toEqual({
      name: APP,
      labels: { team: 'gravl', 'pod-security.kubernetes.io/enforce': 'restricted', 'kubernetes.io/metadata.name': APP },
    });
  });

  it('adds the stock namespaces with only the kubernetes.io/metadata.name label, and no name label', () => {
    for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease', 'ingress-nginx', 'cert-manager']) {
      expect(namespaces.find((n) => n.name === name)).toEqual({ name, labels: { 'kubernetes.io/metadata.name': name } });
    }
  });

  it('takes the stock list it is given, listing a namespace that is also an object once', () => {
    const result = namespacesFromObjects([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', labels: { extra: 'yes' } } }], ['kube-system']);
    expect(result).toEqual([{ name: 'kube-system', labels: { extra: 'yes', 'kubernetes.io/metadata.name': 'kube-system' } }]);
  });
});

describe('STOCK', () => {
  it('has CoreDNS in kube-system with k8s-app=kube-dns on 53/UDP dns, 53/TCP dns-tcp and 9153/TCP metrics', () => {
    expect(STOCK.coreDns).toMatchObject({ namespace: 'kube-system', labels: { 'k8s-app': 'kube-dns' } });
    expect(STOCK.coreDns.ports).toEqual([
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ]);
  });

  it('has the stock ingress-nginx controller on 80 and 443 with its three standard labels', () => {
    expect(STOCK.ingressNginx).toMatchObject({
      namespace: 'ingress-nginx',
      labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx' },
    });
    expect(STOCK.ingressNginx.ports.map((p) => `${p.port}/${p.protocol}`)).toEqual(['80/TCP', '443/TCP']);
  });

  it('has a stranger pod in default and an internet address outside the pod network', () => {
    expect(STOCK.stranger).toMatchObject({ namespace: 'default', labels: { run: 'stranger' } });
    expect(STOCK.internet).toEqual({ kind: 'external', name: 'internet', ip: '93.184.216.34' });
  });

  it('rejects changes, so one test cannot alter the cluster of another', () => {
    expect(() => {
      (STOCK.coreDns.labels as Record<string, string>)['k8s-app'] = 'changed';
    }).toThrow(TypeError);
    expect(STOCK.coreDns.labels['k8s-app']).toBe('kube-dns');
  });
});

describe('isAllowed', () => {
  it('answers as allows() does, for every pair of rendered and stock endpoints on every declared port', () => {
    for (const env of renderCommitted()) {
      const model = new NetworkModel(env.objects, namespacesFromObjects(env.objects));
      const endpoints: Endpoint[] = [...podsFromObjects([...env.objects, ...env.manualObjects]), STOCK.coreDns, STOCK.ingressNginx, STOCK.stranger, STOCK.internet];
      let compared = 0;
      for (const from of endpoints) {
        for (const to of endpoints) {
          for (const port of [...(to.kind === 'pod' ? to.ports : []), { port: 443, protocol: 'TCP' as const }]) {
            expect(model.isAllowed(from, to, port.port, port.protocol), `${from.name} -> ${to.name}:${port.port}`).toBe(model.allows(from, to, port.port, port.protocol).allowed);
            compared++;
          }
        }
      }
      expect(compared).toBeGreaterThan(500);
    }
  });
});
