import { describe, expect, it } from 'vitest';
import { environment, object, objects, renderCommitted } from '../../support/render';

const RBAC_KINDS = ['Role', 'ClusterRole'];

describe('RBAC', () => {
  it.each([
    ['staging', 'gravl-staging'],
    ['production', 'gravl-prod'],
  ])('%s has Role gravl-deployer in %s, bound to its own ServiceAccount', (name, namespace) => {
    const env = environment(name);
    const role = object(env, 'Role', 'gravl-deployer');
    expect(role.metadata.namespace).toBe(namespace);
    const binding = object(env, 'RoleBinding', 'gravl-deployer');
    expect(binding.roleRef).toEqual({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'gravl-deployer' });
    expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'gravl-deployer', namespace }]);
    expect(object(env, 'ServiceAccount', 'gravl-deployer').metadata.namespace).toBe(namespace);
  });

  it('lets the deployer manage what it applies and watch rollouts', () => {
    const rules = (object(environment('staging'), 'Role', 'gravl-deployer') as any).rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const can = (group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    for (const [group, resource] of [['apps', 'deployments'], ['', 'services'], ['networking.k8s.io', 'networkpolicies'], ['networking.k8s.io', 'ingresses'], ['gateway.networking.k8s.io', 'gateways'], ['gateway.networking.k8s.io', 'httproutes'], ['bitnami.com', 'sealedsecrets'], ['batch', 'cronjobs']]) {
      for (const verb of ['get', 'create', 'patch', 'delete']) expect(can(group!, resource!, verb), `${verb} ${group}/${resource}`).toBe(true);
    }
    expect(can('', 'pods', 'watch')).toBe(true);
    // No Secret: the controllers make them, and a deployer token that read them would read the superuser's password.
    expect(rules.filter((r) => r.resources.includes('secrets'))).toEqual([]);
  });

  it.each(renderCommitted().map((e) => [e.name, e] as const))('%s lets the deployer apply every object of the app namespace but the RBAC ones, and no kind more', (_name, env) => {
    const role = object(env, 'Role', 'gravl-deployer') as any;
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const can = (group: string, resource: string, verb: string) => rules.some((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb));
    const app = [...env.objects, ...env.manualObjects].filter((o) => o.metadata.namespace === role.metadata.namespace);
    const rbac = app.filter((o) => o.apiVersion.startsWith('rbac.authorization.k8s.io/'));
    // RBAC objects are an administrator's (or Argo CD's): a deployer that writes Roles can grant itself anything.
    expect([...new Set(rbac.map((o) => o.kind))].sort()).toEqual(['Role', 'RoleBinding']);
    const applied = new Set<string>();
    for (const o of app.filter((x) => !rbac.includes(x))) {
      const group = o.apiVersion.includes('/') ? o.apiVersion.split('/')[0]! : '';
      const kind = o.kind.toLowerCase();
      const resource = kind.endsWith('s') ? `${kind}es` : /[^aeiou]y$/.test(kind) ? kind.replace(/y$/, 'ies') : `${kind}s`;
      applied.add(`${group}/${resource}`);
      for (const verb of ['get', 'create', 'patch']) expect(can(group, resource, verb), `${verb} ${group}/${resource} (${o.kind} ${o.metadata.name})`).toBe(true);
    }
    // Every kind it may write is one the output holds, or one an environment switch adds: ExternalSecrets
    // (secrets.provider: external), HorizontalPodAutoscalers (features.autoscaling), and the edge's
    // kinds (edge.kind: gateway, ingress or both).
    const switched = ['external-secrets.io/externalsecrets', 'autoscaling/horizontalpodautoscalers', 'networking.k8s.io/ingresses', 'gateway.networking.k8s.io/gateways', 'gateway.networking.k8s.io/httproutes'];
    const writable = rules.filter((r) => r.verbs.includes('create')).flatMap((r) => r.apiGroups.flatMap((g) => r.resources.map((res) => `${g}/${res}`)));
    for (const kind of writable) expect(applied.has(kind) || switched.includes(kind), kind).toBe(true);
  });

  it.each(renderCommitted().map((e) => [e.name, e] as const))('%s grants no wildcard, no secret writes, no exec and no RBAC edits in any role', (_name, env) => {
    const roles = env.objects.filter((o) => RBAC_KINDS.includes(o.kind));
    expect(roles.length).toBeGreaterThan(0);
    for (const role of roles) {
      for (const rule of ((role as any).rules ?? []) as Array<{ apiGroups?: string[]; resources?: string[]; verbs: string[]; nonResourceURLs?: string[] }>) {
        const where = `${role.kind} ${role.metadata.name}`;
        for (const field of [rule.apiGroups ?? [], rule.resources ?? [], rule.verbs, rule.nonResourceURLs ?? []]) expect(field, where).not.toContain('*');
        expect(rule.verbs, where).not.toEqual(expect.arrayContaining(['escalate']));
        expect(rule.verbs, where).not.toEqual(expect.arrayContaining(['bind']));
        expect(rule.verbs, where).not.toEqual(expect.arrayContaining(['impersonate']));
        if (rule.resources?.includes('secrets')) expect(rule.verbs.every((v) => ['get', 'list', 'watch'].includes(v)), `${where} secrets ${rule.verbs}`).toBe(true);
        for (const sub of ['pods/exec', 'pods/attach', 'pods/portforward', 'nodes/proxy']) expect(rule.resources ?? [], where).not.toContain(sub);
        expect(rule.apiGroups ?? [], where).not.toContain('rbac.authorization.k8s.io');
      }
    }
  });

  it.each(renderCommitted().map((e) => [e.name, e] as const))('%s binds nothing to cluster-admin, admin or edit', (_name, env) => {
    for (const binding of [...objects(env, 'RoleBinding'), ...objects(env, 'ClusterRoleBinding')]) {
      expect(['cluster-admin', 'admin', 'edit']).not.toContain((binding.roleRef as any).name);
    }
  });

  it.each(renderCommitted().map((e) => [e.name, e] as const))('%s mounts no API token in any pod that does not call the API', (_name, env) => {
    // Prometheus (discovery, kubelet metrics), kube-state-metrics and Alloy (pod discovery) call the API.
    const callers = new Set(['prometheus', 'kube-state-metrics', 'alloy']);
    for (const sa of objects(env, 'ServiceAccount')) {
      expect((sa as any).automountServiceAccountToken, `ServiceAccount ${sa.metadata.name}`).toBe(callers.has(sa.metadata.name));
    }
  });
});
