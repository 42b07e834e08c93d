import { cidrContains } from '../../model/cidr';

/**
 * The parties of network flows: workloads this generator deploys (members), pods it does not own
 * but must talk to (CoreDNS, the ingress controller), and address ranges outside the cluster.
 */

/** A port a member's pods listen on, by name as the container declares it. */
export interface MemberPort {
  readonly name: string;
  readonly containerPort: number;
  /** @default TCP */
  readonly protocol?: 'TCP' | 'UDP';
}

/** A workload of this generator: its pods get a NetworkPolicy of their own. */
export interface NetworkMember {
  /** Name of the member's NetworkPolicy (the workload's name). */
  readonly name: string;
  readonly namespace: string;
  /** Labels that select exactly this workload's pods. */
  readonly selector: Readonly<Record<string, string>>;
  readonly ports: readonly MemberPort[];
}

/** Pods this generator does not deploy, found by namespace and labels. */
export interface ForeignPods {
  readonly kind: 'pods';
  /** Who they are, for policy descriptions: "the ingress-nginx controller". */
  readonly description: string;
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

/** Addresses outside the cluster. */
export interface AddressRange {
  readonly kind: 'addresses';
  readonly description: string;
  readonly cidr: string;
  readonly except?: readonly string[];
}

export type Peer = NetworkMember | ForeignPods | AddressRange;

export function isMember(peer: Peer): peer is NetworkMember {
  return !('kind' in peer);
}

/** A port of a flow: a member's port name, or a number (TCP unless said otherwise). */
export type FlowPort = string | number | { readonly port: number; readonly protocol: 'TCP' | 'UDP' };

/** Private, shared, link-local (cloud metadata) ranges: never "the internet". */
export const NON_PUBLIC_RANGES = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16'] as const;

/** Public addresses: everything but private, shared and link-local ranges, so a rule for the internet never opens the cluster's own addresses. */
export function internet(description: string): AddressRange {
  return { kind: 'addresses', description, cidr: '0.0.0.0/0', except: [...NON_PUBLIC_RANGES] };
}

/** The cluster DNS (CoreDNS keeps the kube-dns label on stock clusters). */
export interface ClusterDns {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

/** The stock DNS of a cluster. */
export const STOCK_DNS: ClusterDns = { namespace: 'kube-system', podLabels: { 'k8s-app': 'kube-dns' } };


/** Address ranges of the cluster's own machines, which NetworkPolicies can only name by address. */
export interface ClusterAddresses {
  /** Where the nodes are (kubelets, host-network agents). */
  readonly nodes: readonly AddressRange[];
  /** Where the API server is, and its ports. */
  readonly apiServer: { readonly ranges: readonly AddressRange[]; readonly ports: readonly number[] };
}

/** One peer per CIDR, each leaving out the excluded ranges that fall inside it (the pod network). */
export function addressRanges(description: string, cidrs: readonly string[], exclude: readonly string[] = []): AddressRange[] {
  return cidrs.map((cidr) => {
    const except = exclude.filter((e) => e !== cidr && cidrContains(cidr, e));
    return { kind: 'addresses', description, cidr, ...(except.length ? { except } : {}) };
  });
}

/** Where the nodes and the API server are (the environment's `cluster` section), each range leaving out the pod network. */
export function clusterAddresses(cluster: { readonly nodeAddresses: readonly string[]; readonly apiServer: { readonly addresses: readonly string[]; readonly ports: readonly number[] }; readonly podAddresses?: readonly string[] }): ClusterAddresses {
  const pods = cluster.podAddresses ?? [];
  return {
    nodes: addressRanges('the nodes', cluster.nodeAddresses, pods),
    apiServer: { ranges: addressRanges('the API server', cluster.apiServer.addresses, pods), ports: cluster.apiServer.ports },
  };
}
