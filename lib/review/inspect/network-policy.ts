/**
 * A NetworkPolicy evaluator: given rendered `networking.k8s.io/v1` NetworkPolicy objects and the
 * namespaces of a cluster, it answers "may endpoint A reach endpoint B on port P?" the way the
 * Kubernetes NetworkPolicy specification defines it, and says which policies and rules decided.
 * The tests' flow tables, `npm run readiness` and the network diagram of READINESS.md use it.
 *
 * Pods are modelled by one representative pod per workload (`podsFromObjects`), plus the pods
 * every cluster has (`STOCK`). Policies are checked as the API server validates them, so no
 * answer is given about a policy the cluster would refuse.
 */
import { cidrContains, cidrHas, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from '../../model/cidr';
import { isRecord } from '../../model/json';
import { POD_OWNERS, podTemplateOf } from './workloads';
import { type KubeObject } from '../../contract';

/** The protocols a NetworkPolicy port may name. */
export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** A namespace and its labels, as namespace selectors see them. */
export interface NetNamespace {
  name: string;
  labels: Record<string, string>;
}

/** A pod: where it runs, its labels and address, and the container ports it declares. */
export interface NetPod {
  kind: 'pod';
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ip: string;
  ports: Array<{ name?: string; port: number; protocol: Protocol }>;
}

/** An address outside the cluster: no policy applies to it, only `ipBlock` peers can match it. */
export interface NetExternal {
  kind: 'external';
  name: string;
  ip: string;
}

/** One side of a connection. */
export type Endpoint = NetPod | NetExternal;

/** The answer for one connection. */
export interface Verdict {
  allowed: boolean;
  /** Names the policies and rules that decided, for test failure messages. */
  reason: string;
}

/** The pod network every modelled pod address lies in. */
export const POD_CIDR = '10.244.0.0/16';

/** The label the API server puts on every namespace (Kubernetes 1.22 and later); it cannot be removed. */
export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

/**
 * Namespaces a cluster has before this project applies anything: the stock Kubernetes ones and those
 * of the add-ons the project requires (ingress-nginx, cert-manager).
 */
export const STOCK_NAMESPACES: readonly string[] = Object.freeze(['default', 'kube-system', 'kube-public', 'kube-node-lease', 'ingress-nginx', 'cert-manager']);

const PROTOCOLS: readonly Protocol[] = ['TCP', 'UDP', 'SCTP'];
const OPERATORS = ['In', 'NotIn', 'Exists', 'DoesNotExist'] as const;
type Operator = (typeof OPERATORS)[number];
type Direction = 'ingress' | 'egress';

interface Selector {
  readonly matchLabels: ReadonlyArray<readonly [string, string]>;
  readonly matchExpressions: ReadonlyArray<{ readonly key: string; readonly operator: Operator; readonly values: readonly string[] }>;
}

type Peer =
  | { readonly kind: 'selector'; readonly podSelector?: Selector; readonly namespaceSelector?: Selector }
  | { readonly kind: 'ipBlock'; readonly cidr: Cidr; readonly except: readonly Cidr[] };

interface PortMatch {
  readonly protocol: Protocol;
  readonly port?: number | string;
  readonly endPort?: number;
}

interface Rule {
  /** `policy ingress[0]`, for reasons. */
  readonly id: string;
  /** Empty: every peer. */
  readonly peers: readonly Peer[];
  /** Empty: every port of every protocol. */
  readonly ports: readonly PortMatch[];
}

interface Policy {
  /** `NetworkPolicy namespace/name`. */
  readonly id: string;
  readonly namespace: string;
  readonly podSelector: Selector;
  /** The rules of each direction the policy affects; absent when it does not affect it. */
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
}

/**
 * The policies of a cluster, ready to answer for any pair of endpoints.
 *
 * Objects of other kinds among `policies` are ignored, so all rendered objects may be passed. Every
 * namespace carries `kubernetes.io/metadata.name=<name>` whatever its given labels say, as the API
 * server enforces. Throws, listing every problem at once, when a NetworkPolicy is one the API server
 * would reject or a namespace is listed twice.
 */
export class NetworkModel {
  private readonly policies: readonly Policy[];
  private readonly namespaces: ReadonlyMap<string, Record<string, string>>;

  constructor(policies: readonly KubeObject[], namespaces: readonly NetNamespace[]) {
    const problems: string[] = [];
    const byName = new Map<string, Record<string, string>>();
    for (const ns of namespaces) {
      if (byName.has(ns.name)) problems.push(`namespace ${ns.name}: listed twice, expected each namespace once`);
      byName.set(ns.name, { ...ns.labels, [NAMESPACE_NAME_LABEL]: ns.name });
    }
    this.namespaces = byName;
    this.policies = policies.filter((o) => o.kind === 'NetworkPolicy').map((o) => parsePolicy(o, problems));
    if (problems.length > 0) throw new Error(`NetworkModel: ${problems.length} problem(s)\n${problems.join('\n')}`);
  }

  /**
   * Whether `from` may open a connection to `to` on `port`/`protocol`: the egress side of `from`
   * and the ingress side of `to` must both allow it. Throws when a pod's namespace is unknown to
   * the model or an address or port is not valid.
   */
  allows(from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP'): Verdict {
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`port: found ${port}, expected an integer from 1 to 65535`);
    if (!PROTOCOLS.includes(protocol)) throw new Error(`protocol: found ${JSON.stringify(protocol)}, expected one of ${PROTOCOLS.join(', ')}`);
    for (const endpoint of [from, to]) this.checkEndpoint(endpoint);
    const egress = from.kind === 'pod' ? this.side('egress', from, to, to, port, protocol) : { allowed: true, reason: 'outside the cluster, no policy applies' };
    const ingress = to.kind === 'pod' ? this.side('ingress', to, from, to, port, protocol) : { allowed: true, reason: 'outside the cluster, no policy applies' };
    const allowed = egress.allowed && ingress.allowed;
    return {
      allowed,
      reason:
        `${allowed ? 'allowed' : 'denied'}: ${describeEndpoint(from)} -> ${describeEndpoint(to)} on ${port}/${protocol}; ` +
        `egress from ${from.name}: ${egress.reason}; ingress to ${to.name}: ${ingress.reason}`,
    };
  }

  /**
   * The same answer as {@link allows}, without the reason: for callers that ask many times (the
   * network picture asks every pair of workloads on every port). Endpoints are checked by `allows`.
   */
  isAllowed(from: Endpoint, to: Endpoint, port: number, protocol: Protocol = 'TCP'): boolean {
    const sideAllows = (direction: Direction, subject: NetPod, peer: Endpoint): boolean => {
      const selecting = this.selecting(direction, subject);
      return (
        selecting.length === 0 ||
        selecting.some((policy) =>
          policy[direction]!.some(
            (rule) =>
              (rule.peers.length === 0 || rule.peers.some((p) => this.peerMatches(p, policy.namespace, peer))) &&
              (rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, port, protocol, to))),
          ),
        )
      );
    };
    return (from.kind !== 'pod' || sideAllows('egress', from, to)) && (to.kind !== 'pod' || sideAllows('ingress', to, from));
  }

  private readonly selectingCache = new Map<string, readonly Policy[]>();

  /** The policies of `subject`'s namespace that select it and isolate it in `direction`. */
  private selecting(direction: Direction, subject: NetPod): readonly Policy[] {
    const key = `${direction}\0${subject.namespace}\0${JSON.stringify(subject.labels)}`;
    let found = this.selectingCache.get(key);
    if (!found) {
      found = this.policies.filter((p) => p[direction] !== undefined && p.namespace === subject.namespace && selects(p.podSelector, subject.labels));
      this.selectingCache.set(key, found);
    }
    return found;
  }

  /** Evaluates one direction for `subject`, the pod whose policies apply; `peer` is the other side. */
  private side(direction: Direction, subject: NetPod, peer: Endpoint, destination: Endpoint, port: number, protocol: Protocol): Verdict {
    const selecting = this.selecting(direction, subject);
    if (selecting.length === 0) return { allowed: true, reason: `not isolated for ${direction} (no policy selects it)` };
    const isolatedBy = `isolated for ${direction} by ${selecting.map((p) => p.id).join(', ')}`;
    const matched: string[] = [];
    const missed: string[] = [];
    for (const policy of selecting) {
      const rules = policy[direction]!;
      if (rules.length === 0) missed.push(`${policy.id} has no ${direction} rules`);
      for (const rule of rules) {
        const peerOk = rule.peers.length === 0 || rule.peers.some((p) => this.peerMatches(p, policy.namespace, peer));
        const portOk = rule.ports.length === 0 || rule.ports.some((p) => portMatches(p, port, protocol, destination));
        if (peerOk && portOk) matched.push(rule.id);
        else missed.push(`${rule.id}: ${[peerOk ? '' : 'peer does not match', portOk ? '' : 'port does not match'].filter(Boolean).join(', ')}`);
      }
    }
    if (matched.length > 0) return { allowed: true, reason: `${isolatedBy}; allowed by ${matched.join(', ')}` };
    return { allowed: false, reason: `${isolatedBy}; no rule allows it (${missed.join('; ')})` };
  }

  private peerMatches(peer: Peer, policyNamespace: string, endpoint: Endpoint): boolean {
    if (peer.kind === 'ipBlock') {
      // Every modelled address is IPv4 (checked by checkEndpoint), so an IPv6 block matches nothing.
      const ip = this.address(endpoint.ip);
      return cidrHas(peer.cidr, ip) && !peer.except.some((c) => cidrHas(c, ip));
    }
    if (endpoint.kind !== 'pod') return false;
    const inNamespace = peer.namespaceSelector ? selects(peer.namespaceSelector, this.namespaces.get(endpoint.namespace)!) : endpoint.namespace === policyNamespace;
    return inNamespace && (peer.podSelector === undefined || selects(peer.podSelector, endpoint.labels));
  }

  private readonly addresses = new Map<string, IpAddress>();

  /** An endpoint's address, parsed once. */
  private address(text: string): IpAddress {
    let ip = this.addresses.get(text);
    if (!ip) {
      ip = parseIp(text)!;
      this.addresses.set(text, ip);
    }
    return ip;
  }

  private checkEndpoint(endpoint: Endpoint): void {
    if (parseIp(endpoint.ip)?.family !== 4) throw new Error(`${describeEndpoint(endpoint)}: ip: found ${JSON.stringify(endpoint.ip)}, expected an IPv4 address`);
    if (endpoint.kind === 'pod' && !this.namespaces.has(endpoint.namespace)) {
      throw new Error(`${describeEndpoint(endpoint)}: namespace ${endpoint.namespace} is not one the model knows; add it to the namespaces (known: ${[...this.namespaces.keys()].join(', ')})`);
    }
  }
}

/** A named port is looked up among the destination pod's declared ports, with the same protocol. */
function portMatches(match: PortMatch, port: number, protocol: Protocol, destination: Endpoint): boolean {
  if (match.protocol !== protocol) return false;
  if (match.port === undefined) return true;
  if (typeof match.port === 'number') return port >= match.port && port <= (match.endPort ?? match.port);
  return destination.kind === 'pod' && destination.ports.some((p) => p.name === match.port && p.port === port && p.protocol === protocol);
}

function selects(selector: Selector, labels: Record<string, string>): boolean {
  const has = (key: string) => Object.prototype.hasOwnProperty.call(labels, key);
  return (
    selector.matchLabels.every(([key, value]) => has(key) && labels[key] === value) &&
    selector.matchExpressions.every(({ key, operator, values }) => {
      switch (operator) {
        case 'In':
          return has(key) && values.includes(labels[key]!);
        case 'NotIn':
          return !has(key) || !values.includes(labels[key]!);
        case 'Exists':
          return has(key);
        case 'DoesNotExist':
          return !has(key);
      }
    })
  );
}

function describeEndpoint(e: Endpoint): string {
  return e.kind === 'pod' ? `pod ${e.namespace}/${e.name} (${e.ip})` : `external ${e.name} (${e.ip})`;
}

// ---- Parsing and validation, as the API server does it (networking/validation) ----

type Json = Record<string, unknown>;


function found(value: unknown): string {
  if (value === undefined || value === null) return 'nothing';
  return JSON.stringify(value);
}

function parsePolicy(o: KubeObject, problems: string[]): Policy {
  // kubectl puts an object without a namespace into the current context's namespace, "default" unless set.
  const namespace = o.metadata.namespace ?? 'default';
  const id = `NetworkPolicy ${namespace}/${o.metadata.name}`;
  const problem = (path: string, value: unknown, expected: string) => problems.push(`${id}: ${path}: found ${found(value)}, expected ${expected}`);
  if (o.apiVersion !== 'networking.k8s.io/v1') problem('apiVersion', o.apiVersion, 'networking.k8s.io/v1');
  const spec = isRecord(o.spec) ? o.spec : {};
  if (!isRecord(o.spec)) problem('spec', o.spec, 'a mapping');

  const podSelector = parseSelector(spec.podSelector ?? {}, 'spec.podSelector', problem);
  const ingressRules = parseRules(spec.ingress, 'ingress', 'from', id, problem);
  const egressRules = parseRules(spec.egress, 'egress', 'to', id, problem);

  let types: string[];
  if (spec.policyTypes === undefined || spec.policyTypes === null || (Array.isArray(spec.policyTypes) && spec.policyTypes.length === 0)) {
    // The API's default: every policy affects ingress; egress only when it has egress rules (an empty list is none).
    types = egressRules.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
  } else if (!Array.isArray(spec.policyTypes)) {
    problem('spec.policyTypes', spec.policyTypes, 'a list of Ingress and/or Egress');
    types = [];
  } else {
    types = [];
    spec.policyTypes.forEach((t, i) => {
      if (t === 'Ingress' || t === 'Egress') types.push(t);
      else problem(`spec.policyTypes[${i}]`, t, 'Ingress or Egress');
    });
  }
  return {
    id,
    namespace,
    podSelector,
    ...(types.includes('Ingress') ? { ingress: ingressRules } : {}),
    ...(types.includes('Egress') ? { egress: egressRules } : {}),
  };
}

type Report = (path: string, value: unknown, expected: string) => void;

function parseRules(value: unknown, direction: Direction, peersField: 'from' | 'to', policyId: string, problem: Report): Rule[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) {
    problem(`spec.${direction}`, value, 'a list of rules');
    return [];
  }
  return value.map((raw, i): Rule => {
    const path = `spec.${direction}[${i}]`;
    const rule = isRecord(raw) ? raw : {};
    if (!isRecord(raw)) problem(path, raw, 'a mapping');
    const peers = listOf(rule[peersField], `${path}.${peersField}`, problem).map((p, j) => parsePeer(p, `${path}.${peersField}[${j}]`, problem));
    const ports = listOf(rule.ports, `${path}.ports`, problem).map((p, j) => parsePort(p, `${path}.ports[${j}]`, problem));
    return { id: `${policyId} ${direction}[${i}]`, peers: peers.filter((p): p is Peer => p !== undefined), ports };
  });
}

function listOf(value: unknown, path: string, problem: Report): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  problem(path, value, 'a list');
  return [];
}

function parsePeer(raw: unknown, path: string, problem: Report): Peer | undefined {
  if (!isRecord(raw)) {
    problem(path, raw, 'a mapping with podSelector, namespaceSelector or ipBlock');
    return undefined;
  }
  const present = (key: string) => raw[key] !== undefined && raw[key] !== null;
  if (present('ipBlock')) {
    if (present('podSelector') || present('namespaceSelector')) {
      problem(path, Object.keys(raw), 'ipBlock alone: a peer may not specify both ipBlock and a selector; write them as separate peers');
    }
    return parseIpBlock(raw.ipBlock, `${path}.ipBlock`, problem);
  }
  if (!present('podSelector') && !present('namespaceSelector')) {
    problem(path, raw, 'a peer: podSelector, namespaceSelector (or both), or ipBlock');
    return undefined;
  }
  return {
    kind: 'selector',
    ...(present('podSelector') ? { podSelector: parseSelector(raw.podSelector, `${path}.podSelector`, problem) } : {}),
    ...(present('namespaceSelector') ? { namespaceSelector: parseSelector(raw.namespaceSelector, `${path}.namespaceSelector`, problem) } : {}),
  };
}

function parseIpBlock(raw: unknown, path: string, problem: Report): Peer | undefined {
  if (!isRecord(raw)) {
    problem(path, raw, 'a mapping with cidr and optional except');
    return undefined;
  }
  const cidr = parseCidr(raw.cidr);
  if (cidr === undefined) {
    problem(`${path}.cidr`, raw.cidr, 'a CIDR such as 10.0.0.0/8');
    return undefined;
  }
  const except: Cidr[] = [];
  listOf(raw.except, `${path}.except`, problem).forEach((e, i) => {
    const c = parseCidr(e);
    if (c === undefined) problem(`${path}.except[${i}]`, e, 'a CIDR such as 10.0.0.0/24');
    else if (!(c.family === cidr.family && c.prefix > cidr.prefix && cidrContains(cidr, c))) problem(`${path}.except[${i}]`, e, `a strict subset of cidr ${cidr.text}`);
    else except.push(c);
  });
  return { kind: 'ipBlock', cidr, except };
}

function parsePort(raw: unknown, path: string, problem: Report): PortMatch {
  if (!isRecord(raw)) {
    problem(path, raw, 'a mapping with protocol, port and endPort');
    return { protocol: 'TCP' };
  }
  let protocol: Protocol = 'TCP';
  if (raw.protocol !== undefined && raw.protocol !== null) {
    if (PROTOCOLS.includes(raw.protocol as Protocol)) protocol = raw.protocol as Protocol;
    else problem(`${path}.protocol`, raw.protocol, `one of ${PROTOCOLS.join(', ')}`);
  }
  const port = raw.port ?? undefined;
  const endPort = raw.endPort ?? undefined;
  if (port === undefined) {
    if (endPort !== undefined) problem(`${path}.endPort`, endPort, 'no endPort when port is not specified');
    return { protocol };
  }
  if (typeof port === 'string') {
    if (!isPortName(port)) problem(`${path}.port`, port, 'a port number or a port name (IANA_SVC_NAME: at most 15 lowercase letters, digits and single hyphens, with a letter)');
    if (endPort !== undefined) problem(`${path}.endPort`, endPort, 'no endPort when port is a name');
    return { protocol, port };
  }
  if (!isPortNumber(port)) problem(`${path}.port`, port, 'an integer from 1 to 65535, or a port name');
  if (endPort === undefined) return { protocol, port: port as number };
  if (!isPortNumber(endPort)) problem(`${path}.endPort`, endPort, 'an integer from 1 to 65535');
  else if (isPortNumber(port) && endPort < port) problem(`${path}.endPort`, endPort, `a port greater than or equal to port ${port}`);
  return { protocol, port: port as number, endPort: endPort as number };
}

function isPortNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 65535;
}

function isPortName(name: string): boolean {
  return name.length <= 15 && /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/.test(name) && !name.includes('--') && /[a-z]/.test(name);
}

function parseSelector(raw: unknown, path: string, problem: Report): Selector {
  const selector: { matchLabels: Array<[string, string]>; matchExpressions: Selector['matchExpressions'][number][] } = { matchLabels: [], matchExpressions: [] };
  if (!isRecord(raw)) {
    problem(path, raw, 'a label selector (matchLabels, matchExpressions)');
    return selector;
  }
  if (raw.matchLabels !== undefined && raw.matchLabels !== null) {
    if (!isRecord(raw.matchLabels)) problem(`${path}.matchLabels`, raw.matchLabels, 'a mapping of label to value');
    else {
      for (const [key, value] of Object.entries(raw.matchLabels)) {
        if (typeof value === 'string') selector.matchLabels.push([key, value]);
        else problem(`${path}.matchLabels.${key}`, value, 'a string');
      }
    }
  }
  listOf(raw.matchExpressions, `${path}.matchExpressions`, problem).forEach((e, i) => {
    const at = `${path}.matchExpressions[${i}]`;
    if (!isRecord(e) || typeof e.key !== 'string') {
      problem(at, e, 'a mapping with key, operator and values');
      return;
    }
    const operator = e.operator as Operator;
    if (!OPERATORS.includes(operator)) {
      problem(`${at}.operator`, e.operator, `one of ${OPERATORS.join(', ')}`);
      return;
    }
    const values = listOf(e.values, `${at}.values`, problem);
    if (!values.every((v): v is string => typeof v === 'string')) problem(`${at}.values`, values, 'a list of strings');
    else if ((operator === 'In' || operator === 'NotIn') && values.length === 0) problem(`${at}.values`, values, `at least one value for operator ${operator}`);
    else if ((operator === 'Exists' || operator === 'DoesNotExist') && values.length > 0) problem(`${at}.values`, values, `no values for operator ${operator}`);
    else selector.matchExpressions.push({ key: e.key, operator, values: values as string[] });
  });
  return selector;
}

/**
 * Whether a NetworkPolicy selects every pod of its namespace and allows nothing: with its
 * policyTypes, a default deny (of ingress, egress or both). Policies only ever allow, so this is
 * the one kind that never opens traffic.
 */
export function isDenyAll(o: KubeObject): boolean {
  const spec = isRecord(o.spec) ? o.spec : {};
  const empty = (value: unknown) => !Array.isArray(value) || value.length === 0;
  return Object.keys(isRecord(spec.podSelector) ? spec.podSelector : {}).length === 0 && empty(spec.ingress) && empty(spec.egress);
}

// ---- Pods and namespaces of rendered output ----

const POD_BASE = parseCidr(POD_CIDR)!.base;
/** Workload pods take 10.244.1.1 upwards; 10.244.0.0/24 is left to the stock pods. */
const FIRST_WORKLOAD_SUBNET = 1;

/**
 * One representative pod per pod-owning object (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job,
 * CronJob, Pod; CronJob pods come from spec.jobTemplate.spec.template), named after the object, with
 * its template labels, its namespace ("default" when the object has none, as kubectl applies it)
 * and its containers' declared ports (init containers excluded; protocol TCP when unset). Addresses
 * are deterministic: 10.244.1.1, 10.244.1.2, ... in object order, never one of `STOCK`'s.
 * Pods on the host network are left out: they take their node's address, and no NetworkPolicy
 * applies to them.
 */
export function podsFromObjects(objects: readonly KubeObject[]): NetPod[] {
  const pods: NetPod[] = [];
  for (const o of objects) {
    if (!POD_OWNERS.includes(o.kind)) continue;
    const template = podTemplateOf(o);
    if (template?.spec?.hostNetwork === true) continue;
    const containers = Array.isArray(template?.spec?.containers) ? (template!.spec!.containers as Json[]) : [];
    const ports = containers.flatMap((c) => (Array.isArray(c.ports) ? (c.ports as Json[]) : [])).map((p) => ({
      ...(typeof p.name === 'string' ? { name: p.name } : {}),
      port: p.containerPort as number,
      protocol: (p.protocol as Protocol | undefined) ?? 'TCP',
    }));
    const labels = isRecord(template?.metadata?.labels) ? { ...(template!.metadata!.labels as Record<string, string>) } : {};
    pods.push({ kind: 'pod', name: o.metadata.name, namespace: o.metadata.namespace ?? 'default', labels, ip: workloadIp(pods.length), ports });
  }
  return pods;
}

function workloadIp(index: number): string {
  const subnet = FIRST_WORKLOAD_SUBNET + Math.floor(index / 254);
  if (subnet > 255) throw new Error(`podsFromObjects: more than ${(256 - FIRST_WORKLOAD_SUBNET) * 254} pods do not fit in ${POD_CIDR}`);
  return formatIp({ family: 4, value: POD_BASE + BigInt(subnet * 256 + 1 + (index % 254)) });
}

/**
 * The Namespace objects among `objects`, plus the `stock` namespaces, each labelled
 * `kubernetes.io/metadata.name=<name>` as the API server does, and with the object's own labels.
 * A stock name that is also an object appears once, with the object's labels.
 *
 * @param stock namespaces the cluster already has; defaults to `STOCK_NAMESPACES`.
 */
export function namespacesFromObjects(objects: readonly KubeObject[], stock: readonly string[] = STOCK_NAMESPACES): NetNamespace[] {
  const byName = new Map<string, NetNamespace>();
  for (const name of stock) byName.set(name, { name, labels: { [NAMESPACE_NAME_LABEL]: name } });
  for (const o of objects) {
    if (o.kind !== 'Namespace') continue;
    const name = o.metadata.name;
    byName.set(name, { name, labels: { ...(o.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name } });
  }
  return [...byName.values()];
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The endpoints every cluster has, frozen: CoreDNS (kube-system, `k8s-app=kube-dns`, 53/UDP `dns`,
 * 53/TCP `dns-tcp`, 9153/TCP `metrics`), the stock ingress-nginx controller (ingress-nginx, 80
 * `http`, 443 `https`), a stranger pod in `default` (`run=stranger`), and an internet address.
 * The pods' addresses are in 10.244.0.0/24, which `podsFromObjects` never uses.
 */
export const STOCK: { readonly coreDns: NetPod; readonly ingressNginx: NetPod; readonly stranger: NetPod; readonly internet: NetExternal } = deepFreeze({
  coreDns: {
    kind: 'pod',
    name: 'coredns',
    namespace: 'kube-system',
    labels: { 'k8s-app': 'kube-dns' },
    ip: '10.244.0.10',
    ports: [
      { name: 'dns', port: 53, protocol: 'UDP' },
      { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      { name: 'metrics', port: 9153, protocol: 'TCP' },
    ],
  },
  ingressNginx: {
    kind: 'pod',
    name: 'ingress-nginx-controller',
    namespace: 'ingress-nginx',
    labels: {
      'app.kubernetes.io/name': 'ingress-nginx',
      'app.kubernetes.io/component': 'controller',
      'app.kubernetes.io/instance': 'ingress-nginx',
    },
    ip: '10.244.0.20',
    ports: [
      { name: 'http', port: 80, protocol: 'TCP' },
      { name: 'https', port: 443, protocol: 'TCP' },
    ],
  },
  stranger: { kind: 'pod', name: 'stranger', namespace: 'default', labels: { run: 'stranger' }, ip: '10.244.0.30', ports: [] },
  internet: { kind: 'external', name: 'internet', ip: '93.184.216.34' },
});
