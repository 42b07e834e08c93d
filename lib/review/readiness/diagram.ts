/**
 * A Mermaid picture of the network: which workloads may open connections to which, on which ports,
 * and what comes in from outside, computed from the rendered NetworkPolicies with the evaluator (not
 * from what the constructs meant), so a reviewer sees a new or lost edge in READINESS.md.
 */
import { firstHost, formatIp, parseCidr } from '../../model/cidr';
import { edgeDataPlanes } from '../inspect/edge';
import { namespacesFromObjects, NetworkModel, podsFromObjects, STOCK, STOCK_NAMESPACES, type Endpoint, type NetPod } from '../inspect/network-policy';
import { type KubeObject } from '../../contract';

type Json = Record<string, any>;

interface Node {
  readonly key: string;
  readonly label: string;
  readonly endpoint: Endpoint;
  /** Ports it listens on (for externals: the ports any policy opens to addresses). */
  readonly ports: ReadonlyArray<{ port: number; protocol: 'TCP' | 'UDP' | 'SCTP' }>;
  readonly group: string;
}

function nodeKey(label: string): string {
  return label.replace(/[^A-Za-z0-9]/g, '_');
}

/** Ports opened to address ranges anywhere (internet, nodes, API server). */
function addressPorts(policies: readonly KubeObject[]): Array<{ port: number; protocol: 'TCP' | 'UDP' }> {
  const seen = new Map<string, { port: number; protocol: 'TCP' | 'UDP' }>();
  for (const p of policies) {
    for (const rule of ((p.spec as Json).egress ?? []) as Json[]) {
      if (!((rule.to ?? []) as Json[]).some((peer) => peer.ipBlock)) continue;
      for (const port of (rule.ports ?? []) as Json[]) {
        if (typeof port.port === 'number') seen.set(`${port.port}/${port.protocol ?? 'TCP'}`, { port: port.port, protocol: port.protocol ?? 'TCP' });
      }
    }
  }
  return [...seen.values()].sort((a, b) => a.port - b.port);
}

/** Address blocks the policies name, other than the internet's 0.0.0.0/0: the nodes, the API server. */
function clusterBlocks(policies: readonly KubeObject[]): string[] {
  const blocks = new Set<string>();
  for (const p of policies) {
    for (const rule of ((p.spec as Json).egress ?? []) as Json[]) {
      for (const peer of (rule.to ?? []) as Json[]) if (peer.ipBlock && peer.ipBlock.cidr !== '0.0.0.0/0') blocks.add(peer.ipBlock.cidr as string);
    }
  }
  return [...blocks].sort();
}

/** The flowchart, as the text of a ```mermaid block. */
export function networkDiagram(objects: readonly KubeObject[], manual: readonly KubeObject[] = []): string {
  const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
  const dataPlanes = edgeDataPlanes(objects);
  const model = new NetworkModel(policies, namespacesFromObjects(objects, [...STOCK_NAMESPACES, ...dataPlanes.map((d) => d.pod.namespace)]));
  const all = [...objects, ...manual];
  const pods = podsFromObjects(all);
  const externalPorts = addressPorts(policies);
  const workload = (p: NetPod): Node => {
    const name = p.labels['app.kubernetes.io/name'] ?? p.name;
    return { key: nodeKey(`${p.namespace}_${name}`), label: name, endpoint: p, ports: p.ports, group: p.namespace };
  };
  const outside: Node[] = [
    ...dataPlanes.map(({ edge, pod }): Node => ({ key: nodeKey(`edge_${edge.kind}`), label: `${edge.kind} ${edge.metadata.name} data plane`, endpoint: pod, ports: pod.ports, group: '' })),
    { key: 'internet', label: 'internet', endpoint: STOCK.internet, ports: externalPorts, group: '' },
    ...clusterBlocks(policies).map((cidr): Node => ({ key: nodeKey(`hosts_${cidr}`), label: `hosts ${cidr}`, endpoint: { kind: 'external', name: cidr, ip: formatIp(firstHost(parseCidr(cidr)!)) }, ports: externalPorts, group: '' })),
    { key: 'cert_manager', label: 'cert-manager', endpoint: { kind: 'pod', name: 'cert-manager', namespace: 'cert-manager', labels: { 'app.kubernetes.io/name': 'cert-manager' }, ip: '10.244.0.40', ports: [{ port: 9402, protocol: 'TCP' }] }, ports: [{ port: 9402, protocol: 'TCP' }], group: '' },
  ];
  const ours = pods.map(workload);
  const nodes = [...ours, ...outside];
  const edges: string[] = [];
  for (const from of nodes) {
    for (const to of nodes) {
      // Only what the policies govern: an edge has one of this output's workloads at one end at least.
      if (from === to || (!ours.includes(from) && !ours.includes(to))) continue;
      const open = to.ports.filter((p) => model.isAllowed(from.endpoint, to.endpoint, p.port, p.protocol)).map((p) => (p.protocol === 'TCP' ? String(p.port) : `${p.port}/${p.protocol}`));
      if (open.length > 0) edges.push(`  ${from.key} -->|${[...new Set(open)].join(', ')}| ${to.key}`);
    }
  }
  const groups = [...new Set(pods.map((p) => p.namespace))].sort();
  const lines = ['flowchart LR'];
  for (const n of outside) lines.push(`  ${n.key}(["${n.label}"])`);
  for (const group of groups) {
    lines.push(`  subgraph ${nodeKey(group)}["${group}"]`);
    for (const n of nodes.filter((x) => x.group === group)) lines.push(`    ${n.key}["${n.label}"]`);
    lines.push('  end');
  }
  return [...lines, ...edges.sort()].join('\n');
}
