/**
 * What every workload of the generator is: a set of pods selected by stable labels, listening on
 * named ports, and a member of the environment's NetworkPolicies that declares its own flows
 * (who may call it, what it calls). Deployments, StatefulSets, DaemonSets and Jobs all build on it,
 * so a new workload cannot exist without its policy.
 */
import { Construct } from 'constructs';
import { selectorLabels } from './labels';
import type { NetworkPolicies } from './network/network-policies';
import type { ClusterAddresses, FlowPort, MemberPort, NetworkMember, Peer } from './network/peers';

export interface WorkloadProps {
  readonly name: string;
  readonly namespace: string;
  /** The ports the pods listen on. */
  readonly ports: readonly MemberPort[];
  /** The environment's NetworkPolicies. */
  readonly network: NetworkPolicies;
}

export abstract class Workload extends Construct implements NetworkMember {
  readonly name: string;
  readonly namespace: string;
  /** The labels that select this workload's pods (stable: safe in immutable selectors). */
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly MemberPort[];
  private readonly network: NetworkPolicies;

  protected constructor(scope: Construct, id: string, props: WorkloadProps) {
    super(scope, id);
    this.name = props.name;
    this.namespace = props.namespace;
    this.selector = selectorLabels(props.name);
    this.ports = props.ports;
    this.network = props.network;
    this.network.addMember(this);
  }

  /** Lets `peer` connect to this workload on the given ports (names are this workload's). */
  allowFrom(peer: Peer, ...ports: FlowPort[]): void {
    this.network.allow(peer, this, ports);
  }

  /** Lets this workload connect to `peer` on the given ports (names are the peer's). */
  allowTo(peer: Peer, ...ports: FlowPort[]): void {
    this.network.allow(this, peer, ports);
  }

  /** Lets this workload call the Kubernetes API server. */
  allowToApiServer(cluster: ClusterAddresses): void {
    for (const range of cluster.apiServer.ranges) this.allowTo(range, ...cluster.apiServer.ports);
  }

  /** The container port of a named port. */
  port(name: string): number {
    const port = this.ports.find((p) => p.name === name);
    if (!port) throw new Error(`${this.name} has no port named ${name}`);
    return port.containerPort;
  }
}
