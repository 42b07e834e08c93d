/**
 * What least privilege means for RBAC, as the diff's risk flags and readiness's RBAC criterion
 * both judge it: the grants that let a holder take over pods or nodes, write secrets or grant
 * itself more, and the stock ClusterRoles no binding may name.
 */

/** The fields of a rule a wildcard (`*`, or `pods/*`) widens to everything. */
export const RULE_FIELDS: readonly string[] = Object.freeze(['apiGroups', 'resources', 'verbs', 'nonResourceURLs']);

/** Subresources that let a holder run commands in a pod or reach a node: exec, attach, port-forward, the kubelet proxy. */
export const TAKEOVER_RESOURCES: readonly string[] = Object.freeze(['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']);

/** The verbs on secrets least privilege allows: reading them. */
export const READ_VERBS: readonly string[] = Object.freeze(['get', 'list', 'watch']);

/** Verbs that let a holder grant more than it holds. */
export const ESCALATION_VERBS: readonly string[] = Object.freeze(['escalate', 'bind', 'impersonate']);

/** The stock ClusterRoles with broad write access (secrets and exec included) that no binding may name. */
export const BROAD_CLUSTER_ROLES: readonly string[] = Object.freeze(['cluster-admin', 'admin', 'edit']);

/** Whether a verb on `secrets` writes them (anything but reading). */
export function writesSecrets(verb: string): boolean {
  return !READ_VERBS.includes(verb);
}
