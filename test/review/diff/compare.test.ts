import { describe, expect, it } from 'vitest';
import { allRisks, diffObject, hasDifferences, objectsOf, REDACTED, runDiff, type ChangedObject, type DiffReport } from '../../../lib/review/diff';
import { container, copyOf, diff, editable, find, object, PRODUCTION, realTree, remove } from './trees';

function changed(report: DiffReport, env: string, id: string): ChangedObject {
  const environment = report.environments.find((e) => e.name === env);
  const found = environment && objectsOf(environment, 'changed').find((c) => c.id === id);
  if (!found) throw new Error(`${id} is not changed in ${env}`);
  return found;
}

describe('diffTrees', () => {
  it('finds no difference between identical trees: one line saying so, differs and risky false', () => {
    const result = runDiff({ base: realTree(), head: copyOf(), production: PRODUCTION, format: 'text' });
    expect(result).toEqual({ output: 'no change: every object of production, staging is as rendered before\n', differs: false, risky: false });
    const report = diff(realTree(), copyOf());
    expect(hasDifferences(report)).toBe(false);
    expect(report.environments.map((e) => [e.name, e.status])).toEqual([
      ['production', 'unchanged'],
      ['staging', 'unchanged'],
    ]);
  });

  it('names the object and spec.replicas with both values when a replica count changes', () => {
    const head = copyOf();
    const backend = find(head, 'staging', 'Deployment', 'backend');
    const before = backend.spec.replicas;
    expect(typeof before).toBe('number');
    backend.spec.replicas = before + 1;
    const report = diff(realTree(), head);
    expect(changed(report, 'staging', 'Deployment gravl-staging/backend').fields).toEqual([{ path: 'spec.replicas', old: before, new: before + 1 }]);
    expect(runDiff({ base: realTree(), head, production: PRODUCTION, format: 'text' }).output).toContain(`~ Deployment gravl-staging/backend\n      spec.replicas: ${before} -> ${before + 1}\n`);
  });

  it('matches containers and env by name: reordering them is not a change', () => {
    const base = copyOf();
    const head = copyOf();
    for (const tree of [base, head]) {
      const spec = find(tree, 'staging', 'Deployment', 'backend').spec.template.spec;
      spec.containers.push(container('sidecar', 'registry.gravl.app/gravl/sidecar:1.0.0'));
    }
    const spec = find(head, 'staging', 'Deployment', 'backend').spec.template.spec;
    expect(spec.containers[0].env.length).toBeGreaterThan(1);
    spec.containers.reverse();
    spec.containers[1].env.reverse();
    const report = diff(base, head);
    expect(hasDifferences(report)).toBe(false);
  });

  it('shows the name of the one env var that changed', () => {
    const head = copyOf();
    const backend = find(head, 'staging', 'Deployment', 'backend').spec.template.spec.containers[0];
    const variable = backend.env.find((e: { value?: unknown }) => typeof e.value === 'string');
    const before = variable.value;
    variable.value = 'changed';
    backend.env.reverse();
    const fields = changed(diff(realTree(), head), 'staging', 'Deployment gravl-staging/backend').fields;
    expect(fields).toEqual([{ path: `spec.template.spec.containers[backend].env[${variable.name}].value`, old: before, new: 'changed' }]);
  });

  it('names an added or removed list item and shows the missing side as absent', () => {
    const head = copyOf();
    const backend = find(head, 'staging', 'Deployment', 'backend').spec.template.spec.containers[0];
    const dropped = backend.env.shift();
    backend.env.push({ name: 'LOG_LEVEL', value: 'debug' });
    const fields = changed(diff(realTree(), head), 'staging', 'Deployment gravl-staging/backend').fields;
    expect(fields).toEqual([
      { path: 'spec.template.spec.containers[backend].env[LOG_LEVEL]', old: undefined, new: { name: 'LOG_LEVEL', value: 'debug' } },
      { path: `spec.template.spec.containers[backend].env[${dropped.name}]`, old: dropped, new: undefined },
    ]);
  });

  it('compares lists without names as sets, and lists of scalars whole', () => {
    const head = copyOf();
    const route = find(head, 'staging', 'HTTPRoute', 'gravl');
    const before = structuredClone(route.spec.rules[0]);
    route.spec.rules[0].matches[0].path.value = '/v2';
    const security = find(head, 'staging', 'Deployment', 'backend').spec.template.spec.containers[0].securityContext;
    security.capabilities.drop = ['ALL', 'NET_RAW'];
    const report = diff(realTree(), head);
    // The changed rule is an item the base has and the head lacks, and the other way round.
    expect(changed(report, 'staging', 'HTTPRoute gravl-staging/gravl').fields).toEqual([
      { path: 'spec.rules[]', old: before, new: undefined },
      { path: 'spec.rules[]', old: undefined, new: route.spec.rules[0] },
    ]);
    expect(changed(report, 'staging', 'Deployment gravl-staging/backend').fields).toEqual([
      { path: 'spec.template.spec.containers[backend].securityContext.capabilities.drop', old: ['ALL'], new: ['ALL', 'NET_RAW'] },
    ]);
  });

  it('sees no change when the rules of a NetworkPolicy or a Role only change order', () => {
    const head = copyOf();
    const several = (o: any) => o.kind === 'NetworkPolicy' && (o.spec.ingress?.length ?? 0) > 1 && (o.spec.egress?.length ?? 0) > 1;
    expect(head.get('staging')!.filter(several).length, 'a policy with several ingress and egress rules').toBeGreaterThan(0);
    const policy = editable(head, 'staging', (o) => o === head.get('staging')!.find(several));
    policy.spec.ingress.reverse();
    policy.spec.egress.reverse();
    const role = find(head, 'staging', 'Role', 'gravl-deployer');
    expect(role.rules.length).toBeGreaterThan(1);
    role.rules.reverse();
    const report = diff(realTree(), head);
    expect(hasDifferences(report)).toBe(false);
    expect(allRisks(report)).toEqual([]);
  });

  it('derives every risk flag from the environments, most severe first, and stores no second list', () => {
    const head = copyOf();
    find(head, 'staging', 'Role', 'gravl-deployer').rules.push({ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] });
    (head.get('production') ?? []).push(object('networking.k8s.io/v1', 'NetworkPolicy', 'extra', 'gravl-prod', { spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }] } }));
    const report = diff(realTree(), head);
    expect(Object.keys(report)).toEqual(['environments']);
    const flags = allRisks(report);
    expect(flags.map((r) => `${r.severity} ${r.environment}`)).toEqual(['high staging', 'medium production']);
    expect(flags).toEqual(report.environments.flatMap((e) => e.risks).sort((a, b) => (a.severity === b.severity ? 0 : a.severity === 'high' ? -1 : 1)));
  });

  it('shows a changed sealed value as re-sealed with its key, never its ciphertext', () => {
    const head = copyOf();
    const first = head.get('staging')!.find((o) => o.kind === 'SealedSecret' && Object.keys(o.spec.encryptedData).length > 0);
    const sealed = editable(head, 'staging', (o) => o === first, 'SealedSecret with values');
    const key = Object.keys(sealed.spec.encryptedData)[0]!;
    const old = sealed.spec.encryptedData[key];
    sealed.spec.encryptedData[key] = Buffer.from(`another ciphertext ${'x'.repeat(80)}`).toString('base64');
    sealed.spec.encryptedData.added = Buffer.from('y'.repeat(90)).toString('base64');
    const result = runDiff({ base: realTree(), head, production: PRODUCTION, format: 'text' });
    expect(result.output).toContain(`spec.encryptedData.${key}: re-sealed`);
    expect(result.output).toContain('spec.encryptedData.added: (absent) -> (sealed value)');
    expect(result.output).not.toContain(old.slice(0, 40));
    expect(result.output).not.toContain(sealed.spec.encryptedData[key].slice(0, 40));
  });

  it('writes map keys that are not plain words in quoted brackets', () => {
    const head = copyOf();
    find(head, 'staging', 'Gateway', 'gravl').metadata.annotations['nginx.ingress.kubernetes.io/proxy-body-size'] = '8m';
    const fields = changed(diff(realTree(), head), 'staging', 'Gateway gravl-staging/gravl').fields;
    expect(fields).toEqual([{ path: 'metadata.annotations["nginx.ingress.kubernetes.io/proxy-body-size"]', old: undefined, new: '8m' }]);
  });

  it('reports an environment present on one side only as wholly added or removed', () => {
    const head = copyOf();
    head.set('dev', head.get('staging')!);
    head.delete('staging');
    const report = diff(realTree(), head);
    const dev = report.environments.find((e) => e.name === 'dev')!;
    const staging = report.environments.find((e) => e.name === 'staging')!;
    expect(dev.status).toBe('added');
    expect(objectsOf(dev, 'added')).toHaveLength(realTree().get('staging')!.length);
    expect(staging.status).toBe('removed');
    expect(objectsOf(staging, 'removed')).toHaveLength(realTree().get('staging')!.length);
    expect(report.environments.map((e) => e.name)).toEqual(['dev', 'production', 'staging']);
  });

  it('orders objects by the apply order of the head tree, then the objects of the base only', () => {
    const head = copyOf();
    const [pdb] = remove(head, 'staging', 'PodDisruptionBudget', 'backend');
    find(head, 'staging', 'Gateway', 'gravl').metadata.labels.tier = 'edge';
    find(head, 'staging', 'Deployment', 'backend').metadata.labels.tier = 'api';
    head.get('staging')!.unshift(object('v1', 'ConfigMap', 'settings', 'gravl-staging', { data: { a: '1' } }));
    const staging = diff(realTree(), head).environments.find((e) => e.name === 'staging')!;
    expect(staging.objects.map((o) => `${o.change} ${o.id}`)).toEqual([
      'added ConfigMap gravl-staging/settings',
      'changed Deployment gravl-staging/backend',
      'changed Gateway gravl-staging/gravl',
      `removed PodDisruptionBudget gravl-staging/${pdb!.metadata.name}`,
    ]);
  });

  it('matches objects by apiVersion too, and then names the apiVersion beside the object', () => {
    const head = copyOf();
    find(head, 'staging', 'PodDisruptionBudget', 'backend').apiVersion = 'policy/v1beta1';
    const staging = diff(realTree(), head).environments.find((e) => e.name === 'staging')!;
    expect(staging.objects.map((o) => `${o.change} ${o.id}`)).toEqual([
      'added PodDisruptionBudget gravl-staging/backend (policy/v1beta1)',
      'removed PodDisruptionBudget gravl-staging/backend (policy/v1)',
    ]);
  });

  it('does not show the values of a Secret, only the keys that changed', () => {
    const base = object('v1', 'Secret', 'token', 'gravl-staging', { data: { token: 'c2VjcmV0MQ==' }, type: 'Opaque' });
    const head = object('v1', 'Secret', 'token', 'gravl-staging', { data: { token: 'c2VjcmV0Mg==', extra: 'eA==' }, type: 'Opaque' });
    const fields = diffObject(base, head);
    expect(fields).toEqual([
      { path: 'data.extra', old: undefined, new: REDACTED, redacted: true },
      { path: 'data.token', old: REDACTED, new: REDACTED, redacted: true },
    ]);
    expect(JSON.stringify(fields)).not.toContain('c2Vj');
  });
});
