/**
 * One mechanism for every NetworkPolicy: each namespace the generator owns gets a default deny
 * (ingress and egress) and DNS egress to the cluster DNS; each workload registers as a member and
 * declares its flows (`allow(from, to, ports)`); a flow between two members opens the sender's
 * egress and the receiver's ingress, a flow to or from anything else opens the member's side.
 * Nothing is open that no construct declared.
 *
 * Selectors are written to match on a stock cluster: namespaces by `kubernetes.io/metadata.name`
 * (the label every namespace has since Kubernetes 1.22, unlike the `name` label of the seeds), a
 * namespace and a pod selector in the same peer when both are meant, and ports by number, as the
 * pods declare them (NetworkPolicies see container ports, not Service ports).
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { isMember, type ClusterDns, type FlowPort, type NetworkMember, type Peer } from './peers';

interface ResolvedPort {
  readonly port: number;
  readonly protocol: 'TCP' | 'UDP';
}

interface Rule {
  readonly peer: Peer;
  readonly ports: readonly ResolvedPort[];
}

interface MemberRules {
  readonly member: NetworkMember;
  readonly ingress: Rule[];
  readonly egress: Rule[];
}

export interface NetworkPoliciesProps {
  /** Namespaces this generator owns: each gets a default deny and DNS egress. */
  readonly namespaces: readonly string[];
  /** Where the cluster DNS runs. */
  readonly dns: ClusterDns;
}

const NAMESPACE_LABEL = 'kubernetes.io/metadata.name';

export class NetworkPolicies extends Construct {
  private readonly props: NetworkPoliciesProps;
  private readonly members = new Map<string, MemberRules>();
  private finalized = false;

  constructor(scope: Construct, id: string, props: NetworkPoliciesProps) {
    super(scope, id);
    this.props = props;
    this.node.addValidation({ validate: () => (this.finalized ? [] : ['NetworkPolicies.finalize() was never called: no policy was rendered']) });
  }

  /** Registers a workload: it gets a policy of its own, denying what no flow opens. */
  addMember(member: NetworkMember): void {
    this.assertOpen();
    if (!this.props.namespaces.includes(member.namespace)) {
      throw new Error(`${member.name}: namespace ${member.namespace} is not one this generator owns (${this.props.namespaces.join(', ')})`);
    }
    const key = `${member.namespace}/${member.name}`;
    if (this.members.has(key)) throw new Error(`network member ${key} is registered twice`);
    if (['default-deny', 'allow-dns-egress'].includes(member.name)) throw new Error(`network member name ${member.name} is reserved`);
    this.members.set(key, { member, ingress: [], egress: [] });
  }

  /** Lets `from` open connections to `to` on the given ports. Port names are `to`'s. */
  allow(from: Peer, to: Peer, ports: readonly FlowPort[]): void {
    this.assertOpen();
    if (!isMember(from) && !isMember(to)) throw new Error('a flow needs a member of this generator at one end at least');
    const resolved = ports.map((p) => resolvePort(p, to));
    if (resolved.length === 0) throw new Error(`flow to ${describe(to)} names no port: every flow is limited to ports`);
    // The same flow declared twice (a scrape target that is also an alert receiver) is one rule.
    const same = (rules: Rule[], peer: Peer) => rules.some((r) => r.peer === peer && JSON.stringify(r.ports) === JSON.stringify(resolved));
    if (isMember(to) && !same(this.rulesOf(to).ingress, from)) this.rulesOf(to).ingress.push({ peer: from, ports: resolved });
    if (isMember(from) && !same(this.rulesOf(from).egress, to)) this.rulesOf(from).egress.push({ peer: to, ports: resolved });
  }

  /**
   * Renders every policy; call once, after every construct has declared its flows. The output does
   * not depend on the order constructs were built in: each namespace's policies come together
   * (default deny, DNS, then its members by name) and each policy's rules are sorted, so moving a
   * construct never reorders the rendered file.
   */
  finalize(): void {
    this.assertOpen();
    this.finalized = true;
    for (const namespace of this.props.namespaces) {
      new k8s.KubeNetworkPolicy(this, `${namespace}-default-deny`, {
        metadata: { name: 'default-deny', namespace },
        spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
      });
      new k8s.KubeNetworkPolicy(this, `${namespace}-dns`, {
        metadata: { name: 'allow-dns-egress', namespace },
        spec: {
          podSelector: {},
          policyTypes: ['Egress'],
          egress: [
            {
              to: [{ namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: this.props.dns.namespace } }, podSelector: { matchLabels: { ...this.props.dns.podLabels } } }],
              ports: [
                { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
                { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
              ],
            },
          ],
        },
      });
      const members = [...this.members.values()].filter((m) => m.member.namespace === namespace).sort((a, b) => compareText(a.member.name, b.member.name));
      for (const { member, ingress, egress } of members) {
        const ingressRules = sortedRules(ingress.map((r) => ({ from: [peerSelector(r.peer, member.namespace)], ports: policyPorts(r.ports) })));
        const egressRules = sortedRules(egress.map((r) => ({ to: [peerSelector(r.peer, member.namespace)], ports: policyPorts(r.ports) })));
        new k8s.KubeNetworkPolicy(this, `${member.namespace}-${member.name}`, {
          metadata: { name: member.name, namespace: member.namespace },
          spec: {
            podSelector: { matchLabels: { ...member.selector } },
            policyTypes: ['Ingress', 'Egress'],
            ...(ingressRules.length > 0 ? { ingress: ingressRules } : {}),
            ...(egressRules.length > 0 ? { egress: egressRules } : {}),
          },
        });
      }
    }
  }

  private rulesOf(member: NetworkMember): MemberRules {
    const rules = this.members.get(`${member.namespace}/${member.name}`);
    if (!rules) throw new Error(`${member.namespace}/${member.name} takes part in a flow but was never added as a network member`);
    return rules;
  }

  private assertOpen(): void {
    if (this.finalized) throw new Error('NetworkPolicies are already rendered: declare flows before finalize()');
  }
}

function resolvePort(port: FlowPort, to: Peer): ResolvedPort {
  if (typeof port === 'number') return { port, protocol: 'TCP' };
  if (typeof port === 'object') return port;
  if (!isMember(to)) throw new Error(`port name ${port} needs a member as destination, found ${describe(to)}`);
  const found = to.ports.find((p) => p.name === port);
  if (!found) throw new Error(`${to.name} declares no port named ${port} (it has ${to.ports.map((p) => p.name).join(', ')})`);
  return { port: found.containerPort, protocol: found.protocol ?? 'TCP' };
}

/** Rules in a fixed order (by their rendered peers and ports), whatever order the flows were declared in. */
function sortedRules<R>(rules: R[]): R[] {
  return rules.map((rule) => ({ rule, key: JSON.stringify(rule) })).sort((a, b) => compareText(a.key, b.key)).map((r) => r.rule);
}

/** Code-unit order: the same on every machine and locale. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function policyPorts(ports: readonly ResolvedPort[]): k8s.NetworkPolicyPort[] {
  return ports.map((p) => ({ protocol: p.protocol, port: k8s.IntOrString.fromNumber(p.port) }));
}

/** A peer as seen from a policy in `namespace`. */
function peerSelector(peer: Peer, namespace: string): k8s.NetworkPolicyPeer {
  if (isMember(peer)) return podPeer(peer.namespace, peer.selector, namespace);
  if (peer.kind === 'pods') return podPeer(peer.namespace, peer.podLabels, namespace);
  return { ipBlock: { cidr: peer.cidr, ...(peer.except ? { except: [...peer.except] } : {}) } };
}

function podPeer(podNamespace: string, labels: Readonly<Record<string, string>>, policyNamespace: string): k8s.NetworkPolicyPeer {
  const podSelector = { matchLabels: { ...labels } };
  // A podSelector alone means "in the policy's own namespace"; elsewhere, both selectors go in
  // one peer so that they are ANDed (two peers would be ORed and open far more).
  return podNamespace === policyNamespace
    ? { podSelector }
    : { namespaceSelector: { matchLabels: { [NAMESPACE_LABEL]: podNamespace } }, podSelector };
}

/** A short name of a peer for messages. */
export function describe(peer: Peer): string {
  if (isMember(peer)) return `${peer.namespace}/${peer.name}`;
  return peer.description;
}
