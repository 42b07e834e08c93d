/**
 * Risk flags: changes between two versions of an environment that weaken it (network isolation,
 * TLS, resource limits, availability in production, RBAC, secrets in plain YAML, image pinning,
 * storage), each named with its object and a one-line reason.
 */
import { isPinnedImage, parseImage, parseQuantity } from '../../model/formats';
import { connectedRoles, isRoleJob } from '../inspect/database-roles';
import { KUSTOMIZATION_KEYS } from '../inspect/dist';
import { hstsHeader, redirectsToHttps } from '../inspect/edge';
import { isDenyAll } from '../inspect/network-policy';
import { ISSUER_ANNOTATIONS } from '../inspect/secrets';
import { BROAD_CLUSTER_ROLES, type Grant, grants, riskyGrants, wildcardFields } from '../inspect/rbac';
import { minReplicas, podSpecOf, scaleOf } from '../inspect/workloads';
import { databaseRoleRank, SYNC_WAVE_ANNOTATION } from '../../contract';
import { deepEqual, isRecord } from '../../model/json';
import { cidrContains } from '../../model/cidr';
import { type KubeObject } from '../../contract';

/** `high`: weakens security or availability; `medium`: worth a reviewer's second look. */
export type Severity = 'high' | 'medium';

/** The family of a risk flag (one per kind of weakening). */
export type RiskRule =
  | 'network-policy'
  | 'tls'
  | 'resource-limits'
  | 'replicas'
  | 'disruption-budget'
  | 'rbac'
  | 'secret'
  | 'image'
  | 'storage'
  | 'kustomization'
  | 'gitops'
  | 'immutable'
  | 'database-role';

/** One risky change. */
export interface RiskFlag {
  readonly severity: Severity;
  readonly rule: RiskRule;
  readonly environment: string;
  /** `Kind namespace/name` of the object. */
  readonly objectId: string;
  /** One line: what changed and why it matters. */
  readonly message: string;
}

/** A base object and its head counterpart (either may be missing), as risk checks see them. */
export interface ObjectPair {
  readonly id: string;
  readonly base?: KubeObject;
  readonly head?: KubeObject;
}

/** The environment around the pairs, for checks that look beyond one object. */
export interface RiskContext {
  readonly production: boolean;
  readonly baseObjects: readonly KubeObject[];
  readonly headObjects: readonly KubeObject[];
}

interface Finding {
  readonly severity: Severity;
  readonly rule: RiskRule;
  readonly message: string;
}

type Check = (base: KubeObject | undefined, head: KubeObject | undefined, context: RiskContext) => Finding[];

/** Checks that only compare the two versions of one object: they have nothing to say about an unchanged one. */
const OBJECT_CHECKS: readonly Check[] = [networkPolicy, tls, resourceLimits, disruptionBudget, rbac, secret, images, storage, kustomization, application, appProject, immutable, databaseRole];

/**
 * A container that connects to the database as a more powerful role than before (app -> owner,
 * anything -> the superuser), or a new one that connects as the superuser; the role Job excepted.
 */
function databaseRole(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!head || isRoleJob(head)) return [];
  const before = new Map((base ? connectedRoles(base) : []).map((r) => [r.container, r]));
  const findings: Finding[] = [];
  for (const now of connectedRoles(head)) {
    const was = before.get(now.container);
    if (was && databaseRoleRank(now.role) > databaseRoleRank(was.role)) {
      findings.push(high('database-role', `container ${now.container} connects as ${now.user} (${now.role}) instead of ${was.user} (${was.role}): a more powerful database role`));
    } else if (!was && now.role === 'superuser') {
      findings.push(high('database-role', `container ${now.container} connects as ${now.user}, the superuser or a login outside the least-privilege roles`));
    }
  }
  return findings;
}

/** A file the kustomization stops listing is no longer applied; anything beyond listing changes what is. */
function kustomization(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if ((head ?? base)!.kind !== 'Kustomization' || !base || !head) return [];
  const findings: Finding[] = [];
  const listed = new Set(list(head.resources).map(String));
  const dropped = list(base.resources).map(String).filter((r) => !listed.has(r));
  if (dropped.length > 0) findings.push(high('kustomization', `no longer applies ${dropped.join(', ')}`));
  const extra = Object.keys(head).filter((k) => !['metadata', ...KUSTOMIZATION_KEYS].includes(k) && JSON.stringify(head[k]) !== JSON.stringify(base[k]));
  if (extra.length > 0) findings.push(high('kustomization', `${extra.join(', ')} changed: kubectl applies something other than the files`));
  return findings;
}

/**
 * An Argo CD Application that stops syncing, healing or pruning, changes how it prunes, syncs from
 * elsewhere (another repository, path or ref: for production, the ref promotion moves) or moves to
 * another project (which decides what it may deploy where).
 */
function application(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if ((head ?? base)!.kind !== 'Application' || !base) return [];
  if (!head) return [high('gitops', 'Application removed: the environment is no longer synced')];
  const findings: Finding[] = [];
  const spec = (o: KubeObject) => record(o.spec);
  const source = (o: KubeObject) => record(spec(o).source);
  for (const field of ['repoURL', 'targetRevision', 'path']) {
    if (source(base)[field] !== source(head)[field]) findings.push(medium('gitops', `syncs from ${field} ${String(source(head)[field])} instead of ${String(source(base)[field])}`));
  }
  if (spec(base).project !== spec(head).project) findings.push(medium('gitops', `moves from project ${String(spec(base).project)} to ${String(spec(head).project)}: what it may deploy, and where, is now that project's`));
  const automated = (o: KubeObject) => record(record(spec(o).syncPolicy).automated);
  for (const flag of ['prune', 'selfHeal']) {
    if (automated(base)[flag] === true && automated(head)[flag] !== true) findings.push(medium('gitops', `automated ${flag} turned off: the cluster may drift from git`));
  }
  if (automated(base).prune !== true && automated(head).prune === true) findings.push(medium('gitops', 'automated prune turned on: objects removed from git are deleted from the cluster without a person'));
  const pruneOptions = (o: KubeObject) => list(record(spec(o).syncPolicy).syncOptions).map(String).filter((x) => /^Prune/.test(x)).sort().join(',');
  if (pruneOptions(base) !== pruneOptions(head)) findings.push(medium('gitops', `prune options changed from ${pruneOptions(base) || 'none'} to ${pruneOptions(head) || 'none'}`));
  return findings;
}

/** An Argo CD AppProject that permits more (another repository, namespace, cluster or kind), or less than a running revision may hold. */
function appProject(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if ((head ?? base)!.kind !== 'AppProject' || !base || !head) return [];
  const findings: Finding[] = [];
  const entries = (o: KubeObject, field: string, key: (e: Record<string, unknown>) => string) => new Set(list(record(o.spec)[field]).map((e) => (typeof e === 'string' ? e : key(record(e)))));
  const lists: [string, string, (e: Record<string, unknown>) => string][] = [
    ['sourceRepos', 'repository', () => ''],
    ['destinations', 'destination', (e) => `${String(e.namespace)} on ${String(e.server ?? e.name)}`],
    ['clusterResourceWhitelist', 'cluster-scoped kind', (e) => `${String(e.group) || 'core'}/${String(e.kind)}`],
    ['namespaceResourceWhitelist', 'namespaced kind', (e) => `${String(e.group) || 'core'}/${String(e.kind)}`],
  ];
  for (const [field, noun, key] of lists) {
    const before = entries(base, field, key);
    const after = entries(head, field, key);
    const gained = [...after].filter((e) => !before.has(e));
    if (gained.length > 0) findings.push(medium('gitops', `project now permits ${noun} ${gained.join(', ')}`));
    // The project syncs from main at once, while a promoted environment still runs an older
    // revision: whatever that revision holds and the project no longer permits fails its sync, and
    // cannot be pruned, until the next promotion.
    const lost = [...before].filter((e) => !after.has(e));
    if (lost.length > 0 && field !== 'sourceRepos') findings.push(high('gitops', `project no longer permits ${noun} ${lost.join(', ')}: an environment still running a revision that holds it fails its sync until it is promoted; narrow after the promotion`));
  }
  return findings;
}

/**
 * Fields the API server will not change in place: `kubectl apply` rejects the object and stops
 * part-way through the environment, and Argo CD reports the sync failed. The object must be
 * deleted first (or renamed).
 */
function immutable(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!base || !head || base.kind !== head.kind) return [];
  const was = record(base.spec);
  const now = record(head.spec);
  const fields: string[] = [];
  if (head.kind === 'Job' && !deepEqual(was.template, now.template)) fields.push('spec.template');
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job'].includes(head.kind) && was.selector !== undefined && !deepEqual(was.selector, now.selector)) fields.push('spec.selector');
  if (head.kind === 'StatefulSet' && was.serviceName !== now.serviceName) fields.push('spec.serviceName');
  if (head.kind === 'Service' && was.clusterIP !== undefined && was.clusterIP !== now.clusterIP) fields.push('spec.clusterIP');
  if (fields.length === 0) return [];
  const name = String(record(head.metadata).name);
  // An object of manual/ (no sync wave: the kustomization never lists it) stops no sync: whoever
  // applies it next deletes the earlier run first.
  if (record(record(head.metadata).annotations)[SYNC_WAVE_ANNOTATION] === undefined) {
    return [medium('immutable', `${fields.join(', ')} changed in an object applied by hand (manual/), which no sync applies: delete the earlier ${head.kind} before applying it (kubectl -n ${String(record(head.metadata).namespace)} delete ${head.kind.toLowerCase()} ${name}), or the apply is rejected`)];
  }
  return [high('immutable', `${fields.join(', ')} changed, which the API server does not change in place: the apply is rejected until ${head.kind} ${name} is deleted (or renamed)`)];
}

/** Checks that also read other objects (a Deployment's replicas depend on its HPA). */
const CONTEXT_CHECKS: readonly Check[] = [replicas];

/** The risk flags of one environment's pairs of objects, in pair order. */
export function assessRisks(environment: string, pairs: readonly ObjectPair[], context: RiskContext): RiskFlag[] {
  const flags: RiskFlag[] = [];
  for (const pair of pairs) {
    const unchanged = pair.base !== undefined && pair.head !== undefined && deepEqual(pair.base, pair.head);
    const checks = unchanged ? CONTEXT_CHECKS : [...OBJECT_CHECKS, ...CONTEXT_CHECKS];
    for (const check of checks) {
      for (const f of check(pair.base, pair.head, context)) flags.push({ ...f, environment, objectId: pair.id });
    }
  }
  return flags;
}

const DIRECTIONS = [
  { type: 'Ingress', field: 'ingress', peers: 'from', noun: 'source' },
  { type: 'Egress', field: 'egress', peers: 'to', noun: 'destination' },
] as const;

function networkPolicy(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if ((head ?? base)!.kind !== 'NetworkPolicy') return [];
  // Policies only ever allow: a new one can open traffic, never close it (a default deny aside).
  if (!base) return isDenyAll(head!) ? [] : [medium('network-policy', 'NetworkPolicy added: it can only open traffic; check what it allows')];
  if (!head) return [high('network-policy', 'NetworkPolicy removed: the traffic rules it set no longer apply')];
  const b = record(base.spec);
  const h = record(head.spec);
  const reasons: string[] = [];
  const baseTypes = policyTypes(b);
  const headTypes = policyTypes(h);
  for (const t of baseTypes) if (!headTypes.has(t)) reasons.push(`policyType ${t} dropped: ${t.toLowerCase()} traffic is no longer restricted by it`);
  const hasRules = DIRECTIONS.some((d) => list(h[d.field]).length > 0);
  const podScope = selectorLoosened(b.podSelector, h.podSelector);
  if (hasRules && podScope) reasons.push(`spec.podSelector ${podScope}: its rules now admit traffic for more pods`);
  for (const d of DIRECTIONS) {
    if (!baseTypes.has(d.type) || !headTypes.has(d.type)) continue;
    const baseRules = list(b[d.field]);
    const headRules = list(h[d.field]);
    // Rules that are the same on both sides are left out, so inserting one does not shift the rest.
    const oldRules = baseRules.filter((r) => !headRules.some((x) => deepEqual(r, x)));
    const newRules = headRules.filter((r) => !baseRules.some((x) => deepEqual(r, x)));
    newRules.forEach((rule, i) => {
      const before = oldRules[i];
      if (before === undefined) {
        reasons.push(`${d.field} rule added: allows ${describeRule(record(rule), d.peers, d.noun)}`);
        return;
      }
      for (const r of ruleWidening(record(before), record(rule), d.peers, d.noun)) reasons.push(`${d.field} rule ${headRules.indexOf(rule) + 1}: ${r}`);
    });
  }
  return reasons.map((r) => high('network-policy', `NetworkPolicy widened: ${r}`));
}

/**
 * The effective policyTypes, as the API server defaults them: when unset or empty, Ingress always
 * and Egress when there is at least one egress rule (an empty list is none).
 */
function policyTypes(spec: Record<string, unknown>): Set<string> {
  const types = list(spec.policyTypes).filter((t): t is string => typeof t === 'string');
  if (types.length > 0) return new Set(types);
  return new Set(list(spec.egress).length > 0 ? ['Ingress', 'Egress'] : ['Ingress']);
}

function describeRule(rule: Record<string, unknown>, peersField: string, noun: string): string {
  const peers = list(rule[peersField]);
  const ports = list(rule.ports);
  const who = peers.length === 0 ? `every ${noun}` : `${peers.length} ${noun}(s)`;
  const where = ports.length === 0 ? 'every port' : ports.map(describePort).join(', ');
  return `${who} on ${where}`;
}

function ruleWidening(before: Record<string, unknown>, after: Record<string, unknown>, peersField: string, noun: string): string[] {
  const reasons: string[] = [];
  const oldPeers = list(before[peersField]);
  const newPeers = list(after[peersField]);
  if (oldPeers.length > 0 && newPeers.length === 0) {
    reasons.push(`${peersField} ${after[peersField] === undefined ? 'removed' : 'emptied'}: allows every ${noun}`);
  } else if (oldPeers.length > 0) {
    const lost = oldPeers.filter((p) => !newPeers.some((x) => deepEqual(p, x)));
    const gained = newPeers.filter((p) => !oldPeers.some((x) => deepEqual(p, x)));
    gained.forEach((peer, i) => {
      const was = lost[i];
      if (was === undefined) reasons.push(`gains a ${noun}: ${describePeer(record(peer))}`);
      else reasons.push(...peerWidening(record(was), record(peer)));
    });
  }
  const oldPorts = list(before.ports);
  const newPorts = list(after.ports);
  if (oldPorts.length > 0 && newPorts.length === 0) {
    reasons.push(`ports ${after.ports === undefined ? 'removed' : 'emptied'}: allows every port`);
  } else if (oldPorts.length > 0) {
    const known = oldPorts.map(normalPort);
    for (const p of newPorts) if (!known.some((k) => deepEqual(k, normalPort(p)))) reasons.push(`gains port ${describePort(p)}`);
  }
  return reasons;
}

function peerWidening(was: Record<string, unknown>, now: Record<string, unknown>): string[] {
  const reasons: string[] = [];
  if (was.ipBlock !== undefined) {
    if (now.ipBlock === undefined) return [`ipBlock ${describePeer(was)} replaced by ${describePeer(now)}`];
    const oldBlock = record(was.ipBlock);
    const newBlock = record(now.ipBlock);
    if (!cidrContains(String(oldBlock.cidr), String(newBlock.cidr))) reasons.push(`ipBlock cidr widened from ${String(oldBlock.cidr)} to ${String(newBlock.cidr)}`);
    const kept = list(newBlock.except).map(String);
    for (const e of list(oldBlock.except).map(String)) if (!kept.includes(e)) reasons.push(`ipBlock ${String(newBlock.cidr)} no longer excepts ${e}`);
    return reasons;
  }
  if (now.ipBlock !== undefined) return [`${describePeer(was)} replaced by ipBlock ${String(record(now.ipBlock).cidr)}`];
  for (const key of ['namespaceSelector', 'podSelector'] as const) {
    if (was[key] !== undefined && now[key] === undefined) reasons.push(`a peer's ${key} removed (was ${describeSelector(was[key])})`);
    else if (was[key] === undefined && now[key] !== undefined && key === 'namespaceSelector') reasons.push(`a peer gains namespaceSelector ${describeSelector(now[key])}: it reaches beyond the policy's namespace`);
    else if (was[key] !== undefined) {
      const loosened = selectorLoosened(was[key], now[key]);
      if (loosened) reasons.push(`a peer's ${key} ${loosened}`);
    }
  }
  return reasons;
}

/** How a label selector selects more than before, or undefined when it does not. */
function selectorLoosened(before: unknown, after: unknown): string | undefined {
  const oldTerms = selectorTerms(before);
  if (oldTerms.length === 0) return undefined;
  if (after === undefined) return 'removed';
  const newTerms = selectorTerms(after);
  if (newTerms.length === 0) return 'made {} (selects everything)';
  const lost = oldTerms.filter((t) => !newTerms.includes(t));
  return lost.length > 0 ? `loosened: no longer requires ${lost.join(', ')}` : undefined;
}

function selectorTerms(selector: unknown): string[] {
  const s = record(selector);
  const labels = Object.entries(record(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`);
  const expressions = list(s.matchExpressions).map((e) => {
    const x = record(e);
    return `${String(x.key)} ${String(x.operator)} (${list(x.values).map(String).join(', ')})`;
  });
  return [...labels, ...expressions];
}

function describeSelector(selector: unknown): string {
  const terms = selectorTerms(selector);
  return terms.length === 0 ? '{}' : terms.join(', ');
}

function describePeer(peer: Record<string, unknown>): string {
  if (peer.ipBlock !== undefined) {
    const block = record(peer.ipBlock);
    const except = list(block.except);
    return `ipBlock ${String(block.cidr)}${except.length > 0 ? ` except ${except.map(String).join(', ')}` : ''}`;
  }
  const parts = (['namespaceSelector', 'podSelector'] as const).filter((k) => peer[k] !== undefined).map((k) => `${k} ${describeSelector(peer[k])}`);
  return parts.length > 0 ? parts.join(' and ') : '{}';
}

function normalPort(port: unknown): Record<string, unknown> {
  const p = record(port);
  return { protocol: p.protocol ?? 'TCP', port: p.port, endPort: p.endPort };
}

function describePort(port: unknown): string {
  const p = normalPort(port);
  const number = p.port === undefined ? 'every port' : p.endPort !== undefined ? `${String(p.port)}-${String(p.endPort)}` : String(p.port);
  return `${String(p.protocol)}/${number}`;
}

const CERT_MANAGER_KINDS = ['ClusterIssuer', 'Issuer', 'Certificate'];

function tls(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  const gatewayApi = (o: KubeObject) => o.apiVersion.startsWith('gateway.networking.k8s.io/');
  if (!base) return head && head.kind === 'HTTPRoute' && gatewayApi(head) && servesPlainHttp(head) ? [high('tls', 'a new route on a plain HTTP listener that sends requests to backends: the host is served without TLS')] : [];
  if (!head) {
    if (CERT_MANAGER_KINDS.includes(base.kind) && base.apiVersion.startsWith('cert-manager.io/')) return [high('tls', `${base.kind} removed: certificates that rely on it are no longer issued or renewed`)];
    if (base.kind === 'Gateway' && gatewayApi(base)) return [high('tls', 'Gateway removed: the hosts it served are no longer served')];
    if (base.kind === 'HTTPRoute' && gatewayApi(base)) return [redirects(base) ? high('tls', 'the HTTP to HTTPS redirect is removed') : medium('tls', 'HTTPRoute removed: what it routed is no longer served')];
    return [];
  }
  const findings: Finding[] = [];
  const oldAnnotations = base.metadata.annotations ?? {};
  const newAnnotations = head.metadata.annotations ?? {};
  for (const key of ISSUER_ANNOTATIONS) {
    const was = oldAnnotations[key];
    const now = newAnnotations[key];
    if (was === undefined || was === now) continue;
    if (now === undefined) findings.push(high('tls', `annotation ${key} removed (was ${was}): cert-manager no longer issues its certificate`));
    else findings.push(medium('tls', `annotation ${key} changed from ${was} to ${now}`));
  }
  if (head.kind === 'Ingress') {
    const oldTls = list(record(base.spec).tls).map(record);
    const newTls = list(record(head.spec).tls).map(record);
    const covered = new Set(newTls.flatMap((t) => list(t.hosts).map(String)));
    const lostHosts = [...new Set(oldTls.flatMap((t) => list(t.hosts).map(String)))].filter((host) => !covered.has(host));
    for (const host of lostHosts) findings.push(high('tls', `TLS removed for host ${host}: it is served without a certificate`));
    if (lostHosts.length === 0 && newTls.length < oldTls.length) findings.push(high('tls', `loses a TLS entry (${oldTls.length} -> ${newTls.length})`));
  }
  if (head.kind === 'Gateway' && head.apiVersion.startsWith('gateway.networking.k8s.io/')) findings.push(...gatewayListeners(base, head));
  if (head.kind === 'HTTPRoute' && head.apiVersion.startsWith('gateway.networking.k8s.io/')) findings.push(...httpRoute(base, head));
  return findings;
}

/** Whether a route answers with a redirect to HTTPS. */
function redirects(o: KubeObject): boolean {
  return list(record(o.spec).rules).some(redirectsToHttps);
}

/** Whether a route attaches to a plain HTTP listener (sectionName http) and sends requests to backends. */
function servesPlainHttp(o: KubeObject): boolean {
  const spec = record(o.spec);
  const onHttp = list(spec.parentRefs).map(record).some((p) => p.sectionName === 'http');
  return onHttp && list(spec.rules).map(record).some((r) => list(r.backendRefs).length > 0);
}

/** A listener that stops terminating TLS for its host, or disappears. */
function gatewayListeners(base: KubeObject, head: KubeObject): Finding[] {
  const listeners = (o: KubeObject) => new Map(list(record(o.spec).listeners).map(record).map((l) => [String(l.name), l]));
  const before = listeners(base);
  const after = listeners(head);
  const findings: Finding[] = [];
  for (const [name, was] of before) {
    const now = after.get(name);
    const tlsOf = (l: Record<string, unknown>) => (l.protocol === 'HTTPS' && record(l.tls).mode !== 'Passthrough' && list(record(l.tls).certificateRefs).length > 0 ? String(list(record(l.tls).certificateRefs).map(record)[0]!.name) : undefined);
    if (tlsOf(was) === undefined) continue;
    if (!now) findings.push(high('tls', `listener ${name} (${String(was.hostname)}) removed: its host is no longer served over TLS`));
    else if (tlsOf(now) === undefined) findings.push(high('tls', `listener ${name} (${String(was.hostname)}) no longer terminates TLS (protocol ${String(now.protocol)})`));
    else if (now.hostname !== was.hostname) findings.push(medium('tls', `listener ${name} serves ${String(now.hostname ?? 'every host')} instead of ${String(was.hostname)}`));
  }
  return findings;
}

/** An HTTPRoute that widens what it serves (hosts, paths) or stops redirecting plain HTTP. */
function httpRoute(base: KubeObject, head: KubeObject): Finding[] {
  const findings: Finding[] = [];
  const hostnames = (o: KubeObject) => list(record(o.spec).hostnames).map(String);
  const wasHosts = hostnames(base);
  const nowHosts = hostnames(head);
  if (wasHosts.length > 0 && nowHosts.length === 0) findings.push(high('tls', 'hostnames removed: the route now answers for every host of its listener'));
  for (const host of nowHosts.filter((h) => !wasHosts.includes(h))) if (wasHosts.length > 0) findings.push(medium('tls', `serves a new host ${host}`));
  const rules = (o: KubeObject) => list(record(o.spec).rules).map(record);
  const paths = (o: KubeObject) => new Set(rules(o).flatMap((r) => (list(r.matches).length ? list(r.matches).map((m) => `${String(record(record(m).path).type ?? 'PathPrefix')} ${String(record(record(m).path).value ?? '/')}`) : ['PathPrefix /'])));
  const wasPaths = paths(base);
  for (const path of paths(head)) if (!wasPaths.has(path)) findings.push(medium('tls', `routes a new path ${path}: check what it exposes`));
  if (redirects(base) && !redirects(head)) findings.push(high('tls', 'no longer redirects HTTP to HTTPS: plain HTTP is served'));
  const hsts = (o: KubeObject) => rules(o).some((r) => hstsHeader(r) !== undefined);
  if (hsts(base) && !hsts(head)) findings.push(high('tls', 'no longer sends Strict-Transport-Security'));
  return findings;
}

/** Containers and init containers (and ephemeral ones) by name. */
function containers(o: KubeObject | undefined): Map<string, Record<string, unknown>> {
  const spec = podSpecOf(o);
  const result = new Map<string, Record<string, unknown>>();
  if (!spec) return result;
  for (const field of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const c of list(spec[field]).map(record)) result.set(String(c.name), c);
  }
  return result;
}

function resourceLimits(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!head || !podSpecOf(head)) return [];
  const findings: Finding[] = [];
  const before = containers(base);
  for (const [name, c] of containers(head)) {
    const limits = record(record(c.resources).limits);
    const was = before.get(name);
    if (!was) {
      const missing = ['cpu', 'memory'].filter((k) => limits[k] === undefined);
      if (missing.length > 0) findings.push(medium('resource-limits', `container ${name} is added without a ${missing.join(' or ')} limit`));
      continue;
    }
    const oldLimits = record(record(was.resources).limits);
    for (const [resource, oldValue] of Object.entries(oldLimits)) {
      const newValue = limits[resource];
      if (newValue === undefined) {
        findings.push(high('resource-limits', `container ${name}: ${resource} limit removed (was ${String(oldValue)})`));
        continue;
      }
      const oldAmount = parseQuantity(oldValue);
      const newAmount = parseQuantity(newValue);
      if (oldAmount !== undefined && newAmount !== undefined && oldAmount > 0 && newAmount > 2 * oldAmount) {
        const ratio = Math.round((newAmount / oldAmount) * 10) / 10;
        findings.push(medium('resource-limits', `container ${name}: ${resource} limit raised from ${String(oldValue)} to ${String(newValue)} (${ratio}x)`));
      }
    }
  }
  return findings;
}



function replicas(base: KubeObject | undefined, head: KubeObject | undefined, context: RiskContext): Finding[] {
  if (!context.production || !head) return [];
  if (head.kind === 'HorizontalPodAutoscaler') {
    const now = minReplicas(head);
    const was = base ? minReplicas(base) : undefined;
    if (now >= 2 || (was !== undefined && now >= was)) return [];
    return [high('replicas', `minReplicas ${now} in production${was !== undefined ? ` (was ${was})` : ''}: a single pod, no redundancy`)];
  }
  if (head.kind !== 'Deployment' && head.kind !== 'StatefulSet') return [];
  const now = scaleOf(head, context.headObjects);
  // An autoscaler's minimum is flagged on the autoscaler itself.
  if (now.source === 'autoscaler' || now.count >= 2) return [];
  const was = base ? scaleOf(base, context.baseObjects) : undefined;
  if (was !== undefined && now.count >= was.count) return [];
  const since = was !== undefined ? ` (was ${was.count}${was.source === 'autoscaler' ? ' through its HorizontalPodAutoscaler' : ''})` : '';
  if (now.source === 'default') return [high('replicas', `spec.replicas unset and no HorizontalPodAutoscaler targets it: 1 pod in production${since}`)];
  return [high('replicas', `spec.replicas ${now.count} in production${since}: no redundancy`)];
}

function disruptionBudget(base: KubeObject | undefined, head: KubeObject | undefined, context: RiskContext): Finding[] {
  if (!context.production || head || base?.kind !== 'PodDisruptionBudget') return [];
  return [high('disruption-budget', 'PodDisruptionBudget removed in production: a node drain may take every pod down at once')];
}

function rbac(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!head || !head.apiVersion.startsWith('rbac.authorization.k8s.io/')) return [];
  if (head.kind === 'Role' || head.kind === 'ClusterRole') return roleWidening(base, head);
  if (head.kind !== 'RoleBinding' && head.kind !== 'ClusterRoleBinding') return [];
  const findings: Finding[] = [];
  const roleRef = record(head.roleRef);
  const oldRef = record(base?.roleRef);
  if (roleRef.kind === 'ClusterRole' && BROAD_CLUSTER_ROLES.includes(String(roleRef.name)) && !(oldRef.kind === 'ClusterRole' && oldRef.name === roleRef.name)) {
    findings.push(high('rbac', `${base ? 'now binds' : 'binds'} ClusterRole ${String(roleRef.name)}: ${roleRef.name === 'cluster-admin' ? 'full control of the cluster' : 'broad write access, secrets and exec included'}`));
  } else if (base && (oldRef.kind !== roleRef.kind || oldRef.name !== roleRef.name)) {
    findings.push(medium('rbac', `roleRef changed from ${String(oldRef.kind)} ${String(oldRef.name)} to ${String(roleRef.kind)} ${String(roleRef.name)}`));
  }
  if (base) {
    const subjectId = (s: unknown): string => {
      const x = record(s);
      return `${String(x.kind)} ${x.namespace !== undefined ? `${String(x.namespace)}/` : ''}${String(x.name)}`;
    };
    const known = new Set(list(base.subjects).map(subjectId));
    for (const s of list(head.subjects).map(subjectId)) if (!known.has(s)) findings.push(high('rbac', `gains subject ${s}`));
  }
  return findings;
}

function roleWidening(base: KubeObject | undefined, head: KubeObject): Finding[] {
  const findings: Finding[] = [];
  const oldRules = list(base?.rules).map(record);
  const newRules = list(head.rules).map(record);
  const hadWildcard = new Set(oldRules.flatMap(wildcardFields));
  for (const field of new Set(newRules.flatMap(wildcardFields))) if (!hadWildcard.has(field)) findings.push(high('rbac', `rules gain a wildcard (*) in ${field}`));
  if (!base) {
    // A new role: flag what least privilege forbids (pod or node takeover, secret writes, escalation).
    const risky = [...new Set(newRules.flatMap(riskyGrants))];
    if (risky.length > 0) findings.push(high('rbac', `new role grants ${risky.join(', ')}`));
    return findings;
  }
  const granted = oldRules.flatMap(grants);
  const gained = new Map<string, Set<string>>();
  for (const g of newRules.flatMap(grants)) {
    if (g.group === '*' || g.resource === '*' || g.verb === '*') continue;
    if (granted.some((o) => covers(o, g))) continue;
    const what = `${g.group === '' ? 'core' : g.group}/${g.resource}${g.names.length > 0 ? ` (${g.names.join(', ')})` : ''}`;
    gained.set(what, (gained.get(what) ?? new Set()).add(g.verb));
  }
  if (gained.size > 0) {
    const summary = [...gained].map(([what, verbs]) => `${[...verbs].join(', ')} on ${what}`).join('; ');
    findings.push(high('rbac', `rules widened: gains ${summary}`));
  }
  return findings;
}

function covers(old: Grant, next: Grant): boolean {
  const match = (a: string, b: string): boolean => a === '*' || a === b;
  if (!match(old.group, next.group) || !match(old.resource, next.resource) || !match(old.verb, next.verb)) return false;
  return old.names.length === 0 || (next.names.length > 0 && next.names.every((n) => old.names.includes(n)));
}

function secret(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!head || head.kind !== 'Secret' || head.apiVersion !== 'v1') return [];
  const keys = [...Object.keys(record(head.data)), ...Object.keys(record(head.stringData))];
  if (keys.length === 0) return [];
  if (base && deepEqual(base.data, head.data) && deepEqual(base.stringData, head.stringData)) return [];
  const what = base ? 'Secret data changed' : 'Secret with data added';
  return [high('secret', `${what} (keys ${[...new Set(keys)].sort().join(', ')}): plain Secret values belong in a SealedSecret or ExternalSecret`)];
}

function images(base: KubeObject | undefined, head: KubeObject | undefined, context: RiskContext): Finding[] {
  if (!head || !podSpecOf(head)) return [];
  const findings: Finding[] = [];
  const before = containers(base);
  for (const [name, c] of containers(head)) {
    if (typeof c.image !== 'string') continue;
    const was = before.get(name)?.image;
    if (was === c.image) continue;
    const ref = parseImage(c.image);
    const since = typeof was === 'string' ? ` (was ${was})` : '';
    if (!ref) {
      findings.push(high('image', `container ${name}: image ${c.image} is not a valid image reference${since}`));
    } else if (!isPinnedImage(c.image)) {
      findings.push(high('image', `container ${name}: image ${c.image} ${ref.tag === undefined ? 'has no tag (pulls latest)' : 'uses :latest'}, not a pinned version${since}`));
    } else if (context.production && ref.digest === undefined && (typeof was !== 'string' || parseImage(was)?.digest !== undefined)) {
      findings.push(high('image', `container ${name}: image ${c.image} has no @sha256 digest in production${since}`));
    }
  }
  return findings;
}

function storage(base: KubeObject | undefined, head: KubeObject | undefined): Finding[] {
  if (!base) return [];
  if (base.kind === 'PersistentVolumeClaim') {
    if (!head) return [high('storage', 'PersistentVolumeClaim removed: its volume and data may be deleted')];
    return claimChanges(record(base.spec), record(head.spec), '', 'immutable on a bound claim', 'the storage class must allow volume expansion');
  }
  if (base.kind !== 'StatefulSet' || head?.kind !== 'StatefulSet') return [];
  const templates = (o: KubeObject): Map<string, Record<string, unknown>> =>
    new Map(list(record(o.spec).volumeClaimTemplates).map(record).map((t) => [String(record(t.metadata).name), record(t.spec)]));
  const oldTemplates = templates(base);
  const newTemplates = templates(head);
  const findings: Finding[] = [];
  for (const [name, spec] of oldTemplates) {
    const now = newTemplates.get(name);
    if (!now) findings.push(high('storage', `volumeClaimTemplate ${name} removed: its pods lose their volume`));
    else findings.push(...claimChanges(spec, now, `volumeClaimTemplate ${name}: `, STATEFULSET_TEMPLATES, STATEFULSET_TEMPLATES));
  }
  return findings;
}

const STATEFULSET_TEMPLATES = 'a live StatefulSet cannot change its volumeClaimTemplates';

function claimChanges(before: Record<string, unknown>, after: Record<string, unknown>, prefix: string, classNote: string, growNote: string): Finding[] {
  const findings: Finding[] = [];
  const oldClass = before.storageClassName;
  const newClass = after.storageClassName;
  const show = (c: unknown): string => (c === undefined ? '(cluster default)' : String(c));
  if (oldClass !== newClass) findings.push(high('storage', `${prefix}storageClassName changed from ${show(oldClass)} to ${show(newClass)} (${classNote})`));
  const oldSize = record(record(before.resources).requests).storage;
  const newSize = record(record(after.resources).requests).storage;
  if (!deepEqual(oldSize, newSize)) {
    const shrinks = (parseQuantity(newSize) ?? Infinity) < (parseQuantity(oldSize) ?? 0);
    const note = shrinks ? 'a volume cannot shrink' : growNote;
    findings.push((shrinks ? high : medium)('storage', `${prefix}requested storage changed from ${show(oldSize)} to ${show(newSize)} (${note})`));
  }
  return findings;
}

function high(rule: RiskRule, message: string): Finding {
  return { severity: 'high', rule, message };
}

function medium(rule: RiskRule, message: string): Finding {
  return { severity: 'medium', rule, message };
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
