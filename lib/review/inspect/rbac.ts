/**
 * What least privilege means for RBAC, as the diff's risk flags and readiness's RBAC criterion
 * both judge it: the grants that let a holder take over pods or nodes, write secrets or grant
 * itself more, and the stock ClusterRoles no binding may name.
 */

/** The fields of a rule a wildcard (`*`, or `pods/*`) widens to everything. */
const RULE_FIELDS: readonly string[] = Object.freeze(['apiGroups', 'resources', 'verbs', 'nonResourceURLs']);

/** Subresources that let a holder run commands in a pod or reach a node: exec, attach, port-forward, the kubelet proxy. */
const TAKEOVER_RESOURCES: readonly string[] = Object.freeze(['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']);

/** The verbs on secrets least privilege allows: reading them. */
const READ_VERBS: readonly string[] = Object.freeze(['get', 'list', 'watch']);

/** Verbs that let a holder grant more than it holds. */
const ESCALATION_VERBS: readonly string[] = Object.freeze(['escalate', 'bind', 'impersonate']);

/** The stock ClusterRoles with broad write access (secrets and exec included) that no binding may name. */
export const BROAD_CLUSTER_ROLES: readonly string[] = Object.freeze(['cluster-admin', 'admin', 'edit']);

/** Whether a verb on `secrets` writes them (anything but reading). */
function writesSecrets(verb: string): boolean {
  return !READ_VERBS.includes(verb);
}

/** One verb on one resource (or non-resource URL) of one API group, as a rule grants it. */
export interface Grant {
  readonly group: string;
  readonly resource: string;
  readonly verb: string;
  /** The resourceNames the grant is limited to; empty for all. */
  readonly names: readonly string[];
}

/** The grants of a rule: each verb on each resource of each API group (core when none is named). */
export function grants(rule: Record<string, unknown>): Grant[] {
  const verbs = strings(rule.verbs);
  const names = strings(rule.resourceNames);
  const urls = strings(rule.nonResourceURLs);
  if (urls.length > 0) return urls.flatMap((url) => verbs.map((verb) => ({ group: 'nonResourceURL', resource: url, verb, names: [] })));
  const groups = strings(rule.apiGroups);
  return (groups.length > 0 ? groups : ['']).flatMap((group) => strings(rule.resources).flatMap((resource) => verbs.map((verb) => ({ group, resource, verb, names }))));
}

/** The fields of a rule that hold a wildcard (`*`, or `pods/*`, as wide as `*` for exec, attach and port-forward). */
export function wildcardFields(rule: Record<string, unknown>): string[] {
  return RULE_FIELDS.filter((field) => strings(rule[field]).some((x) => x.includes('*')));
}

/**
 * The grants of a rule least privilege forbids, as `verb resource`: any verb on a subresource that
 * takes over a pod or node, writing secrets, and the verbs that grant more than the holder holds.
 * Wildcards are judged apart, by {@link wildcardFields}.
 */
export function riskyGrants(rule: Record<string, unknown>): string[] {
  const risky = grants(rule).filter((g) => TAKEOVER_RESOURCES.includes(g.resource) || (g.resource === 'secrets' && writesSecrets(g.verb)) || ESCALATION_VERBS.includes(g.verb));
  return [...new Set(risky.map((g) => `${g.verb} ${g.resource}`))];
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}
