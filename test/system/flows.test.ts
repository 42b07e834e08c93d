/**
 * The flows of the sign-off, evaluated over each environment's rendered NetworkPolicies as a stock
 * cluster would enforce them: every flow the system needs is allowed, everything else is denied.
 */
import { describe, expect, it } from 'vitest';
import {
  namespacesFromObjects,
  NetworkModel,
  podsFromObjects,
  STOCK,
  STOCK_NAMESPACES,
  type Endpoint,
  type NetPod,
  type Protocol,
} from '../../lib/review/inspect/network-policy';
import { parse } from 'yaml';
import { committedText, renderCommitted } from '../support/render';

/** A port number, or `api` for the API server's port in the environment file. */
type Row = readonly [from: string, to: string, port: number | 'api', protocol?: Protocol];

/** Flows that must work. */
const ALLOWED: readonly Row[] = [
  ['edge', 'backend', 3000],
  ['edge', 'frontend', 8080],
  ['edge', 'acme-http01-solver', 8089],
  ['backend', 'coredns', 53, 'UDP'],
  ['backend', 'coredns', 53, 'TCP'],
  ['frontend', 'coredns', 53, 'UDP'],
  ['backend', 'internet', 443],
  ['frontend', 'internet', 443],
  ['backend', 'postgres', 5432],
  ['backend-migrate', 'postgres', 5432],
  ['postgres-backup', 'postgres', 5432],
  ['postgres-restore-drill', 'postgres', 5432],
  ['postgres-restore', 'postgres', 5432],
  ['postgres-backup', 'coredns', 53, 'UDP'],
  ['prometheus', 'backend', 3001],
  ['prometheus', 'postgres', 9187],
  ['prometheus', 'alertmanager', 9093],
  ['prometheus', 'kube-state-metrics', 8080],
  ['prometheus', 'loki', 3100],
  ['prometheus', 'grafana', 3000],
  ['prometheus', 'alloy', 12345],
  ['alloy', 'loki', 3100],
  ['grafana', 'prometheus', 9090],
  ['grafana', 'loki', 3100],
  ['alertmanager', 'internet', 443],
  ['load-test', 'internet', 443],
  // Envoy Gateway's proxies listen on 10443 for the listener on 443 (DATA_PLANE_PORTS).
  ['load-test', 'edge', 10443],
  // Its stats, on Envoy Gateway's stock metrics port.
  ['prometheus', 'edge', 19001],
  ['load-test', 'backend', 3001],
  // Machines NetworkPolicies can name only by address: the nodes and the API server.
  ['prometheus', 'node', 10250],
  ['prometheus', 'node', 9100],
  ['prometheus', 'apiserver', 'api'],
  ['kube-state-metrics', 'apiserver', 'api'],
  ['alloy', 'apiserver', 'api'],
  ['prometheus', 'cert-manager', 9402],
  ['alertmanager', 'internet', 587],
];

/** Flows that must not. */
const DENIED: readonly Row[] = [
  ['stranger', 'backend', 3000],
  ['stranger', 'frontend', 8080],
  ['stranger', 'acme-http01-solver', 8089],
  ['internet', 'backend', 3000],
  ['edge', 'backend', 3001],
  ['edge', 'postgres', 5432],
  // The retired controller, or another Gateway's proxies, reach nothing.
  ['ingress-nginx', 'backend', 3000],
  ['ingress-nginx', 'frontend', 8080],
  ['another-gateway', 'backend', 3000],
  ['another-gateway', 'frontend', 8080],
  ['frontend', 'backend', 3000],
  ['backend', 'frontend', 8080],
  ['backend', 'internet', 80],
  ['backend', 'cloud-metadata', 80],
  ['backend', 'private-address', 443],
  ['backend', 'stranger', 8080],
  ['backend', 'coredns', 9153],
  ['acme-http01-solver', 'internet', 443],
  ['frontend', 'postgres', 5432],
  ['stranger', 'postgres', 5432],
  ['ingress-nginx', 'postgres', 5432],
  ['edge', 'grafana', 3000],
  ['postgres', 'internet', 443],
  ['postgres', 'backend', 3000],
  ['postgres-backup', 'backend', 3000],
  ['postgres-roles', 'internet', 443],
  ['postgres-roles', 'backend', 3000],
  ['backend', 'postgres', 9187],
  ['backend', 'prometheus', 9090],
  ['stranger', 'grafana', 3000],
  ['stranger', 'prometheus', 9090],
  ['stranger', 'loki', 3100],
  ['backend', 'loki', 3100],
  ['alertmanager', 'backend', 3000],
  ['loki', 'internet', 443],
  ['prometheus', 'internet', 443],
  ['grafana', 'internet', 443],
  ['alloy', 'internet', 443],
  ['alloy', 'postgres', 5432],
  ['load-test', 'postgres', 5432],
  ['backend', 'node', 10250],
  ['backend', 'apiserver', 'api'],
  ['frontend', 'apiserver', 'api'],
  ['grafana', 'node', 9100],
  ['grafana', 'apiserver', 'api'],
  ['backend', 'cert-manager', 9402],
];

describe.each(renderCommitted().map((env) => [env.name, env] as const))('%s', (_name, env) => {
  const appNamespace = env.objects.find((o) => o.kind === 'Namespace' && o.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted')!.metadata.name;
  const model = new NetworkModel(env.objects, namespacesFromObjects(env.objects, [...STOCK_NAMESPACES, 'envoy-gateway-system']));
  const file = parse(committedText(env.name));
  const cluster = file.cluster as { nodeAddresses: string[]; apiServer: { addresses: string[]; ports: number[] } };
  // The edge's data plane as the environment file describes it (Envoy Gateway's proxies of this Gateway).
  const dataPlane = file.edge.gateway.dataPlane as { namespace: string; podLabels: Record<string, string> };
  const edgePod: NetPod = { kind: 'pod', name: 'envoy-gravl', namespace: dataPlane.namespace, labels: dataPlane.podLabels, ip: '10.244.0.21', ports: [{ port: 10080, protocol: 'TCP' }, { port: 10443, protocol: 'TCP' }, { port: 19001, protocol: 'TCP' }] };
  const otherGateway: NetPod = { ...edgePod, name: 'envoy-other', labels: { ...dataPlane.podLabels, 'gateway.envoyproxy.io/owning-gateway-name': 'other' }, ip: '10.244.0.22' };
  /** The tenth address of a block such as 10.0.0.0/24. */
  const hostIn = (cidr: string) => cidr.replace(/\.\d+\/\d+$/, '.10');
  // Every pod the output can start, the manual Jobs included, by its app.kubernetes.io/name.
  const pods = podsFromObjects([...env.objects, ...env.manualObjects]);
  const solver: NetPod = {
    kind: 'pod',
    name: 'acme-http01-solver',
    namespace: appNamespace,
    labels: { 'acme.cert-manager.io/http01-solver': 'true' },
    ip: '10.244.9.9',
    ports: [{ port: 8089, protocol: 'TCP' }],
  };
  const endpoints: Record<string, Endpoint> = {
    ...Object.fromEntries(pods.map((p) => [p.labels['app.kubernetes.io/name'] ?? p.name, p])),
    'acme-http01-solver': solver,
    coredns: STOCK.coreDns,
    'ingress-nginx': STOCK.ingressNginx,
    edge: edgePod,
    'another-gateway': otherGateway,
    stranger: STOCK.stranger,
    internet: STOCK.internet,
    'cloud-metadata': { kind: 'external', name: 'cloud metadata', ip: '169.254.169.254' },
    'private-address': { kind: 'external', name: 'private address', ip: '10.0.0.5' },
    // A host in the ranges the environment file gives for the nodes and the API server.
    node: { kind: 'external', name: 'a node', ip: hostIn(cluster.nodeAddresses[0]) },
    apiserver: { kind: 'external', name: 'the API server', ip: hostIn(cluster.apiServer.addresses[0]) },
    'cert-manager': { kind: 'pod', name: 'cert-manager', namespace: 'cert-manager', labels: { 'app.kubernetes.io/name': 'cert-manager' }, ip: '10.244.0.41', ports: [{ port: 9402, protocol: 'TCP' }] },
  };
  const endpoint = (name: string): Endpoint => {
    const found = endpoints[name];
    if (!found) throw new Error(`no endpoint ${name} in ${env.name}`);
    return found;
  };

  const rows = (table: readonly Row[]) => table.map(([from, to, port, protocol]) => ({ from, to, port: port === 'api' ? cluster.apiServer.ports[0]! : port, protocol: protocol ?? ('TCP' as Protocol) }));

  it.each(rows(ALLOWED))('allows $from to reach $to on $port/$protocol', ({ from, to, port, protocol }) => {
    const verdict = model.allows(endpoint(from), endpoint(to), port, protocol);
    expect(verdict.allowed, verdict.reason).toBe(true);
  });

  it.each(rows(DENIED))('denies $from reaching $to on $port/$protocol', ({ from, to, port, protocol }) => {
    const verdict = model.allows(endpoint(from), endpoint(to), port, protocol);
    expect(verdict.allowed, verdict.reason).toBe(false);
  });

  it("denies every monitoring workload but Prometheus the backend's metrics port 3001", () => {
    // Derived from the rendered pods, so a monitoring workload added later is covered too.
    const monitoring = pods.filter((p) => p.namespace === 'gravl-monitoring');
    const others = monitoring.filter((p) => p.labels['app.kubernetes.io/name'] !== 'prometheus');
    expect(monitoring.length - others.length, 'Prometheus runs in gravl-monitoring').toBe(1);
    expect(others.map((p) => p.labels['app.kubernetes.io/name']).sort()).toEqual(expect.arrayContaining(['alertmanager', 'grafana', 'kube-state-metrics', 'loki']));
    for (const pod of others) {
      const verdict = model.allows(pod, endpoint('backend'), 3001);
      expect(verdict.allowed, `${pod.labels['app.kubernetes.io/name']}: ${verdict.reason}`).toBe(false);
    }
  });

  it('lets the backup and the restore drill reach object storage on 443 exactly where the environment copies off-site', () => {
    const offsite = parse(committedText(env.name)).postgres.backup.objectStorage !== undefined;
    for (const job of ['postgres-backup', 'postgres-restore-drill']) {
      const verdict = model.allows(endpoint(job), STOCK.internet, 443, 'TCP');
      expect(verdict.allowed, `${job}: ${verdict.reason}`).toBe(offsite);
    }
    expect(model.allows(endpoint('postgres-restore'), STOCK.internet, 443, 'TCP').allowed).toBe(false);
    // The restore of the off-site copy exists only where there is one, and reaches it.
    expect(endpoints['postgres-restore-offsite'] !== undefined).toBe(offsite);
    if (offsite) expect(model.allows(endpoint('postgres-restore-offsite'), STOCK.internet, 443, 'TCP').allowed).toBe(true);
  });

  it('lets the role Job reach postgres', () => {
    const verdict = model.allows(endpoint('postgres-roles'), endpoint('postgres'), 5432, 'TCP');
    expect(verdict.allowed, verdict.reason).toBe(true);
  });

  it('isolates every pod it deploys in both directions', () => {
    const stranger = STOCK.stranger;
    for (const pod of pods) {
      expect(model.allows(stranger, pod, 12345).allowed, `${pod.name} ingress`).toBe(false);
      expect(model.allows(pod, stranger, 12345).allowed, `${pod.name} egress`).toBe(false);
    }
  });
});
