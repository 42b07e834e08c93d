import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { allRisks, formatMarkdown, formatText, type RiskFlag, type RiskRule } from '../../../lib/review/diff';
import { objectsOf, readTree, treeOf, type Tree } from '../../../lib/review/diff';
import { committedText, edit as editText, migrationJobName, renderTexts, ROOT } from '../../support/render';
import { literalPattern } from '../../support/text';
import { addToBoth, container, copyOf, diff, editable, find, flags, object, realTree, remove, type EditableTree } from './trees';
import { type KubeObject } from '../../../lib/contract';

/** Production on the legacy Ingress, as a cluster that still runs ingress-nginx would render it. */
let ingressTree: Tree | undefined;
const onIngress = (): Tree => (ingressTree ??= treeOf(renderTexts({ production: editText(committedText('production'), (doc) => doc.setIn(['edge', 'kind'], 'ingress')) })));

/** Edits deep copies of the real output (with hand-made objects added to both sides) and returns the flags of one rule. */
function flagged(rule: RiskRule, edit: (head: EditableTree, base: EditableTree) => void, extra: { env?: string; objects?: KubeObject[]; tree?: () => Tree } = {}): RiskFlag[] {
  const base = copyOf(extra.tree?.());
  const head = copyOf(extra.tree?.());
  if (extra.objects) addToBoth(base, head, extra.env ?? 'production', ...extra.objects);
  edit(head, base);
  return flags(diff(base, head), rule);
}

/** One flag, of that object, whose message matches. */
function expectFlag(found: readonly RiskFlag[], objectId: string, message: RegExp, environment = 'production'): void {
  expect(found.map((f) => `${f.environment} | ${f.objectId} | ${f.message}`)).toEqual([expect.stringMatching(new RegExp(`^${environment} \\| ${literalPattern(objectId)} \\| .*${message.source}`))]);
}


const POLICY = object('networking.k8s.io/v1', 'NetworkPolicy', 'reviewed', 'gravl-prod', {
  spec: {
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } },
    policyTypes: ['Ingress', 'Egress'],
    ingress: [
      {
        from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'ingress-nginx' } }, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } } }],
        ports: [{ port: 3000, protocol: 'TCP' }],
      },
    ],
    egress: [{ to: [{ ipBlock: { cidr: '10.20.0.0/16', except: ['10.20.5.0/24'] } }], ports: [{ port: 5432, protocol: 'TCP' }] }],
  },
});
const POLICY_ID = 'NetworkPolicy gravl-prod/reviewed';

function policyFlags(edit: (spec: any) => void): RiskFlag[] {
  return flagged('network-policy', (head) => edit(find(head, 'production', 'NetworkPolicy', 'reviewed').spec), { objects: [POLICY] });
}

describe('risk flags: NetworkPolicy', () => {
  it('flags a NetworkPolicy removed from the real output', () => {
    // A policy whose name is unique across the namespaces, so removing it by name removes one object.
    const real = realTree().get('production')!.filter((o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'backend');
    expect(real.length).toBeGreaterThan(0);
    const found = flagged('network-policy', (head) => remove(head, 'production', 'NetworkPolicy', real[0]!.metadata.name));
    expectFlag(found, `NetworkPolicy gravl-prod/${real[0]!.metadata.name}`, /NetworkPolicy removed/);
    expect(found[0]!.severity).toBe('high');
  });

  it('reads policyTypes as the API server defaults them: an empty egress list or policyTypes list changes nothing', () => {
    const plain = object('networking.k8s.io/v1', 'NetworkPolicy', 'plain', 'gravl-prod', { spec: { podSelector: {}, ingress: [], egress: [] } });
    expect(flagged('network-policy', (head) => delete find(head, 'production', 'NetworkPolicy', 'plain').spec.egress, { objects: [plain] })).toEqual([]);
    const typed = object('networking.k8s.io/v1', 'NetworkPolicy', 'typed', 'gravl-prod', { spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [] } });
    expect(flagged('network-policy', (head) => (find(head, 'production', 'NetworkPolicy', 'typed').spec.policyTypes = []), { objects: [typed] })).toEqual([]);
    // Egress rules with no policyTypes do restrict egress: dropping them all is a widening.
    const found = policyFlags((spec) => {
      delete spec.policyTypes;
      spec.egress = [];
    });
    expectFlag(found, POLICY_ID, /policyType Egress dropped/);
  });

  it('flags a rule added', () => {
    const found = policyFlags((spec) => spec.ingress.push({ from: [{ podSelector: { matchLabels: { app: 'debug' } } }], ports: [{ port: 9229 }] }));
    expectFlag(found, POLICY_ID, /ingress rule added: allows 1 source\(s\) on TCP\/9229/);
  });

  it.each([
    ['emptied', (spec: any) => (spec.ingress[0].from = []), /ingress rule 1: from emptied: allows every source/],
    ['removed', (spec: any) => delete spec.ingress[0].from, /ingress rule 1: from removed: allows every source/],
  ])('flags a peer list %s', (_, edit, message) => {
    expectFlag(policyFlags(edit), POLICY_ID, message);
  });

  it.each([
    ['emptied', (spec: any) => (spec.egress[0].ports = []), /egress rule 1: ports emptied: allows every port/],
    ['removed', (spec: any) => delete spec.egress[0].ports, /egress rule 1: ports removed: allows every port/],
  ])('flags a port list %s', (_, edit, message) => {
    expectFlag(policyFlags(edit), POLICY_ID, message);
  });

  it('flags a port added to a rule', () => {
    expectFlag(policyFlags((spec) => spec.ingress[0].ports.push({ port: 3001, protocol: 'TCP' })), POLICY_ID, /gains port TCP\/3001/);
  });

  it.each([
    ['a namespaceSelector made {}', (spec: any) => (spec.ingress[0].from[0].namespaceSelector = {}), /namespaceSelector made \{\} \(selects everything\)/],
    ['a podSelector removed', (spec: any) => delete spec.ingress[0].from[0].podSelector, /podSelector removed \(was app\.kubernetes\.io\/name=ingress-nginx\)/],
    ['a namespaceSelector removed', (spec: any) => delete spec.ingress[0].from[0].namespaceSelector, /namespaceSelector removed/],
    ['a matchLabels value changed', (spec: any) => (spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/name'] = 'other'), /no longer requires app\.kubernetes\.io\/name=ingress-nginx/],
    ['the policy applied to every pod', (spec: any) => (spec.podSelector = {}), /spec\.podSelector made \{\}/],
  ])('flags a selector loosened: %s', (_, edit, message) => {
    expectFlag(policyFlags(edit), POLICY_ID, message);
  });

  it('flags an ipBlock cidr widened', () => {
    expectFlag(policyFlags((spec) => (spec.egress[0].to[0].ipBlock.cidr = '10.0.0.0/8')), POLICY_ID, /ipBlock cidr widened from 10\.20\.0\.0\/16 to 10\.0\.0\.0\/8/);
  });

  it('flags an ipBlock except removed', () => {
    expectFlag(policyFlags((spec) => delete spec.egress[0].to[0].ipBlock.except), POLICY_ID, /no longer excepts 10\.20\.5\.0\/24/);
  });

  it('flags a policyType dropped', () => {
    expectFlag(policyFlags((spec) => (spec.policyTypes = ['Ingress'])), POLICY_ID, /policyType Egress dropped/);
  });

  it('does not flag a NetworkPolicy narrowed: a smaller cidr, an added except, a removed port or rule, a stricter selector', () => {
    const found = policyFlags((spec) => {
      spec.egress[0].to[0].ipBlock.cidr = '10.20.0.0/20';
      spec.egress[0].to[0].ipBlock.except.push('10.20.1.0/24');
      spec.ingress[0].from[0].podSelector.matchLabels['app.kubernetes.io/component'] = 'controller';
      spec.egress.splice(0, 1);
    });
    expect(found).toEqual([]);
  });

  it('does not flag an IPv6 cidr narrowed, and flags one widened', () => {
    const v6 = structuredClone(POLICY) as any;
    v6.spec.egress[0].to[0].ipBlock = { cidr: 'fd00:10::/32' };
    const narrowed = flagged('network-policy', (head) => (find(head, 'production', 'NetworkPolicy', 'reviewed').spec.egress[0].to[0].ipBlock.cidr = 'fd00:10:0:5::/64'), { objects: [v6] });
    expect(narrowed).toEqual([]);
    const widened = flagged('network-policy', (head) => (find(head, 'production', 'NetworkPolicy', 'reviewed').spec.egress[0].to[0].ipBlock.cidr = 'fd00::/8'), { objects: [v6] });
    expectFlag(widened, POLICY_ID, /cidr widened from fd00:10::\/32 to fd00::\/8/);
  });
});

describe('risk flags: TLS and issuers', () => {
  it('flags an Ingress losing its tls entry', () => {
    const found = flagged('tls', (head) => (find(head, 'production', 'Ingress', 'gravl').spec.tls = []), { tree: onIngress });
    const host = find(copyOf(onIngress()), 'production', 'Ingress', 'gravl').spec.tls[0].hosts[0];
    expectFlag(found, 'Ingress gravl-prod/gravl', new RegExp(`TLS removed for host ${literalPattern(host)}`));
  });

  it('flags an Ingress losing one host of its tls entry', () => {
    const found = flagged('tls', (head, base) => {
      find(base, 'production', 'Ingress', 'gravl').spec.tls[0].hosts.push('www.gravl.app');
      find(head, 'production', 'Ingress', 'gravl').spec.tls[0].hosts.push('api.gravl.app');
    }, { tree: onIngress });
    expectFlag(found, 'Ingress gravl-prod/gravl', /TLS removed for host www\.gravl\.app/);
  });

  it('flags the cert-manager.io/cluster-issuer annotation removed', () => {
    const found = flagged('tls', (head) => delete find(head, 'production', 'Gateway', 'gravl').metadata.annotations['cert-manager.io/cluster-issuer']);
    expectFlag(found, 'Gateway gravl-prod/gravl', /annotation cert-manager\.io\/cluster-issuer removed \(was letsencrypt-prod\)/);
  });

  it('flags a ClusterIssuer removed', () => {
    const found = flagged('tls', (head) => remove(head, 'production', 'ClusterIssuer', 'letsencrypt-prod'));
    expectFlag(found, 'ClusterIssuer letsencrypt-prod', /ClusterIssuer removed/);
  });

  it('does not flag an Ingress gaining a host or a path', () => {
    const found = flagged('tls', (head) => {
      const ingress = find(head, 'production', 'Ingress', 'gravl');
      ingress.spec.tls[0].hosts.push('www.gravl.app');
      ingress.spec.rules[0].http.paths[0].path = '/api/v2';
    }, { tree: onIngress });
    expect(found).toEqual([]);
  });

  it('flags a Gateway listener that stops terminating TLS, or is removed', () => {
    const plain = flagged('tls', (head) => {
      const https = find(head, 'production', 'Gateway', 'gravl').spec.listeners.find((l: any) => l.name === 'https');
      https.protocol = 'HTTP';
      delete https.tls;
    });
    expectFlag(plain, 'Gateway gravl-prod/gravl', /listener https \(gravl\.app\) no longer terminates TLS \(protocol HTTP\)/);
    const removed = flagged('tls', (head) => {
      const gateway = find(head, 'production', 'Gateway', 'gravl');
      gateway.spec.listeners = gateway.spec.listeners.filter((l: any) => l.name !== 'https');
    });
    expectFlag(removed, 'Gateway gravl-prod/gravl', /listener https \(gravl\.app\) removed/);
  });

  it('flags the HTTP to HTTPS redirect removed', () => {
    const found = flagged('tls', (head) => {
      const redirect = find(head, 'production', 'HTTPRoute', 'gravl-https-redirect');
      redirect.spec.rules = [{ backendRefs: [{ kind: 'Service', name: 'frontend', port: 80 }] }];
    });
    expectFlag(found, 'HTTPRoute gravl-prod/gravl-https-redirect', /no longer redirects HTTP to HTTPS/);
  });

  it('flags a route widening its hosts or paths, and HSTS dropped', () => {
    const hosts = flagged('tls', (head) => delete find(head, 'production', 'HTTPRoute', 'gravl').spec.hostnames);
    expectFlag(hosts, 'HTTPRoute gravl-prod/gravl', /hostnames removed: the route now answers for every host of its listener/);
    const paths = flagged('tls', (head) => find(head, 'production', 'HTTPRoute', 'gravl').spec.rules.push({ matches: [{ path: { type: 'PathPrefix', value: '/admin' } }], backendRefs: [{ kind: 'Service', name: 'backend', port: 3001 }] }));
    expectFlag(paths, 'HTTPRoute gravl-prod/gravl', /routes a new path PathPrefix \/admin/);
    const hsts = flagged('tls', (head) => find(head, 'production', 'HTTPRoute', 'gravl').spec.rules.forEach((r: any) => delete r.filters));
    expectFlag(hsts, 'HTTPRoute gravl-prod/gravl', /no longer sends Strict-Transport-Security/);
  });

  it('flags the redirect route or the Gateway removed, and a new route serving backends on plain HTTP', () => {
    const redirect = flagged('tls', (head) => remove(head, 'production', 'HTTPRoute', 'gravl-https-redirect'));
    expectFlag(redirect, 'HTTPRoute gravl-prod/gravl-https-redirect', /the HTTP to HTTPS redirect is removed/);
    const gateway = flagged('tls', (head) => remove(head, 'production', 'Gateway', 'gravl'));
    expectFlag(gateway, 'Gateway gravl-prod/gravl', /Gateway removed/);
    const plain = flagged('tls', (head) =>
      head.get('production')!.push(object('gateway.networking.k8s.io/v1', 'HTTPRoute', 'plain', 'gravl-prod', {
        spec: { parentRefs: [{ name: 'gravl', sectionName: 'http' }], rules: [{ backendRefs: [{ kind: 'Service', name: 'backend', port: 3000 }] }] },
      })));
    expectFlag(plain, 'HTTPRoute gravl-prod/plain', /a new route on a plain HTTP listener that sends requests to backends/);
  });

  it('does not flag a route that only reorders its rules', () => {
    expect(flagged('tls', (head) => find(head, 'production', 'HTTPRoute', 'gravl').spec.rules.reverse())).toEqual([]);
  });
});

describe('risk flags: resource limits', () => {
  it('flags a limit removed from a real container', () => {
    const found = flagged('resource-limits', (head) => delete find(head, 'production', 'Deployment', 'backend').spec.template.spec.containers[0].resources.limits.memory);
    expectFlag(found, 'Deployment gravl-prod/backend', /container backend: memory limit removed \(was \S+\)/);
    expect(found[0]!.severity).toBe('high');
  });

  it('flags a limit raised more than 2x, and does not flag one doubled', () => {
    const limit = (head: EditableTree) => find(head, 'production', 'Deployment', 'backend').spec.template.spec.containers[0].resources.limits;
    const memory = String(limit(copyOf()).memory);
    expect(memory).toMatch(/^\d+Mi$/);
    const megabytes = parseInt(memory, 10);
    const raised = flagged('resource-limits', (head) => (limit(head).memory = `${megabytes * 2 + 1}Mi`));
    expectFlag(raised, 'Deployment gravl-prod/backend', new RegExp(`memory limit raised from ${memory} to ${megabytes * 2 + 1}Mi`));
    expect(flagged('resource-limits', (head) => (limit(head).memory = `${(megabytes * 2) / 1024}Gi`))).toEqual([]);
  });

  it.each([
    ['StatefulSet', { spec: { template: { spec: { containers: [container('db', 'postgres:16.4')] } } } }],
    ['DaemonSet', { spec: { template: { spec: { containers: [container('agent', 'grafana/alloy:v1.8.0')] } } } }],
    ['Job', { spec: { template: { spec: { containers: [container('k6', 'grafana/k6:0.57.0')] } } } }],
    ['CronJob', { spec: { jobTemplate: { spec: { template: { spec: { initContainers: [container('dump', 'postgres:16.4')], containers: [container('upload', 'amazon/aws-cli:2.17.0')] } } } } } }],
  ])('flags limits removed from a %s', (kind, body) => {
    const found = flagged(
      'resource-limits',
      (head) => {
        const workload = find(head, 'production', kind, 'workload');
        const spec = kind === 'CronJob' ? workload.spec.jobTemplate.spec.template.spec : workload.spec.template.spec;
        delete spec[kind === 'CronJob' ? 'initContainers' : 'containers'][0].resources.limits;
      },
      { objects: [object(kind === 'CronJob' || kind === 'Job' ? 'batch/v1' : 'apps/v1', kind, 'workload', 'gravl-prod', body)] },
    );
    expect(found.map((f) => f.objectId)).toEqual([`${kind} gravl-prod/workload`, `${kind} gravl-prod/workload`]);
    expect(found.map((f) => f.message).join('\n')).toMatch(/cpu limit removed \(was 500m\)\n.*memory limit removed \(was 256Mi\)/);
  });

  it('flags a container added without limits', () => {
    const found = flagged('resource-limits', (head) => find(head, 'production', 'Deployment', 'backend').spec.template.spec.containers.push({ name: 'debug', image: 'busybox:1.36.1@sha256:' + 'a'.repeat(64) }));
    expectFlag(found, 'Deployment gravl-prod/backend', /container debug is added without a cpu or memory limit/);
    expect(found[0]!.severity).toBe('medium');
  });
});

describe('risk flags: replicas and disruption budgets in production', () => {
  it('flags a Deployment scaled below 2 in production', () => {
    const found = flagged('replicas', (head) => (find(head, 'production', 'Deployment', 'backend').spec.replicas = 1));
    expectFlag(found, 'Deployment gravl-prod/backend', /spec\.replicas 1 in production/);
  });

  it('flags an HPA minReplicas below 2 in production', () => {
    const found = flagged('replicas', (head) => (find(head, 'production', 'HorizontalPodAutoscaler', 'backend').spec.minReplicas = 1));
    expectFlag(found, 'HorizontalPodAutoscaler gravl-prod/backend', /minReplicas 1 in production \(was \d+\)/);
  });

  it('flags an HPA removed from a Deployment that leaves replicas to it', () => {
    const found = flagged('replicas', (head, base) => {
      for (const tree of [head, base]) delete find(tree, 'production', 'Deployment', 'backend').spec.replicas;
      remove(head, 'production', 'HorizontalPodAutoscaler', 'backend');
    });
    expectFlag(found, 'Deployment gravl-prod/backend', /spec\.replicas unset and no HorizontalPodAutoscaler targets it: 1 pod in production/);
  });

  it('does not flag one replica in staging', () => {
    expect(flagged('replicas', (head) => (find(head, 'staging', 'Deployment', 'backend').spec.replicas = 1))).toEqual([]);
  });

  it('flags a PodDisruptionBudget removed in production', () => {
    const found = flagged('disruption-budget', (head) => remove(head, 'production', 'PodDisruptionBudget', 'backend'));
    expectFlag(found, 'PodDisruptionBudget gravl-prod/backend', /PodDisruptionBudget removed in production/);
  });

  it('does not flag a PodDisruptionBudget removed in staging, or one moved to another apiVersion in production', () => {
    expect(flagged('disruption-budget', (head) => remove(head, 'staging', 'PodDisruptionBudget', 'backend'))).toEqual([]);
    expect(flagged('disruption-budget', (head) => (find(head, 'production', 'PodDisruptionBudget', 'backend').apiVersion = 'policy/v1beta1'))).toEqual([]);
  });
});

describe('risk flags: RBAC', () => {
  const firstRule = (head: EditableTree) => find(head, 'production', 'Role', 'gravl-deployer').rules[0];

  it.each([
    ['a verb', (rule: any) => rule.verbs.push('escalate'), /rules widened: gains escalate on /],
    ['a resource', (rule: any) => rule.resources.push('nodes'), /rules widened: gains .* on \S+\/nodes/],
    ['an apiGroup', (rule: any) => rule.apiGroups.push('storage.k8s.io'), /rules widened: gains .* on storage\.k8s\.io\//],
  ])('flags a Role gaining %s', (_, edit, message) => {
    expectFlag(flagged('rbac', (head) => edit(firstRule(head))), 'Role gravl-prod/gravl-deployer', message);
  });

  it('flags a Role gaining a wildcard', () => {
    expectFlag(flagged('rbac', (head) => (firstRule(head).verbs = ['*'])), 'Role gravl-prod/gravl-deployer', /rules gain a wildcard \(\*\) in verbs/);
  });

  it('flags a ClusterRole gaining a resource', () => {
    const role = object('rbac.authorization.k8s.io/v1', 'ClusterRole', 'metrics-reader', undefined, { rules: [{ apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] }] });
    const found = flagged('rbac', (head) => find(head, 'production', 'ClusterRole', 'metrics-reader').rules[0].resources.push('secrets'), { objects: [role] });
    expectFlag(found, 'ClusterRole metrics-reader', /gains get on core\/secrets/);
  });

  it('flags a RoleBinding changed to reference cluster-admin', () => {
    const found = flagged('rbac', (head) => (find(head, 'production', 'RoleBinding', 'gravl-deployer').roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }));
    expectFlag(found, 'RoleBinding gravl-prod/gravl-deployer', /now binds ClusterRole cluster-admin/);
  });

  it('flags a ClusterRoleBinding added that references cluster-admin', () => {
    const binding = object('rbac.authorization.k8s.io/v1', 'ClusterRoleBinding', 'ci-admin', undefined, {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ kind: 'ServiceAccount', name: 'ci', namespace: 'gravl-prod' }],
    });
    expectFlag(flagged('rbac', (head) => head.get('production')!.push(binding)), 'ClusterRoleBinding ci-admin', /binds ClusterRole cluster-admin/);
  });

  it('flags a RoleBinding gaining a subject', () => {
    const found = flagged('rbac', (head) => find(head, 'production', 'RoleBinding', 'gravl-deployer').subjects.push({ kind: 'User', name: 'intern@gravl.app', apiGroup: 'rbac.authorization.k8s.io' }));
    expectFlag(found, 'RoleBinding gravl-prod/gravl-deployer', /gains subject User intern@gravl\.app/);
  });

  it('does not flag a Role losing a verb or a binding losing a subject', () => {
    const found = flagged('rbac', (head) => {
      firstRule(head).verbs.pop();
      find(head, 'production', 'RoleBinding', 'gravl-deployer').subjects.pop();
    });
    expect(found).toEqual([]);
  });
});

describe('risk flags: Secrets', () => {
  const SECRET = object('v1', 'Secret', 'api-keys', 'gravl-staging', { type: 'Opaque', data: { key: 'b2xkLXZhbHVl' } });

  it('flags a Secret with data appearing, without showing its values', () => {
    const base = copyOf();
    const head = copyOf();
    head.get('staging')!.push(structuredClone(SECRET));
    const report = diff(base, head);
    expectFlag(flags(report, 'secret'), 'Secret gravl-staging/api-keys', /Secret with data added \(keys key\)/, 'staging');
    expect(formatText(report) + formatMarkdown(report)).not.toContain('b2xkLXZhbHVl');
  });

  it('flags a Secret whose data changes, and stringData appearing', () => {
    const changed = flagged('secret', (head) => (find(head, 'staging', 'Secret', 'api-keys').data.key = 'bmV3LXZhbHVl'), { env: 'staging', objects: [SECRET] });
    expectFlag(changed, 'Secret gravl-staging/api-keys', /Secret data changed \(keys key\)/, 'staging');
    const empty = object('v1', 'Secret', 'api-keys', 'gravl-staging', { type: 'Opaque' });
    const appeared = flagged('secret', (head) => (find(head, 'staging', 'Secret', 'api-keys').stringData = { token: 'plain' }), { env: 'staging', objects: [empty] });
    expectFlag(appeared, 'Secret gravl-staging/api-keys', /Secret data changed \(keys token\)/, 'staging');
  });

  it('does not flag a Secret without data or a SealedSecret whose ciphertext changes', () => {
    const sealed = object('bitnami.com/v1alpha1', 'SealedSecret', 'db', 'gravl-staging', { spec: { encryptedData: { password: 'AgA1' } } });
    const found = flagged(
      'secret',
      (head) => {
        find(head, 'staging', 'SealedSecret', 'db').spec.encryptedData.password = 'AgA2';
        head.get('staging')!.push(object('v1', 'Secret', 'empty', 'gravl-staging', { type: 'Opaque' }));
      },
      { env: 'staging', objects: [sealed] },
    );
    expect(found).toEqual([]);
  });
});

describe('risk flags: images', () => {
  const image = (head: EditableTree, env: string) => find(head, env, 'Deployment', 'backend').spec.template.spec.containers[0];
  const repository = (env: string) => String(image(copyOf(), env).image).replace(/[:@].*$/, '');

  it('flags an image moved to :latest', () => {
    const found = flagged('image', (head) => (image(head, 'staging').image = `${repository('staging')}:latest`));
    expectFlag(found, 'Deployment gravl-staging/backend', /container backend: image \S+:latest uses :latest, not a pinned version/, 'staging');
  });

  it('flags an image with no tag, even behind a registry port', () => {
    const found = flagged('image', (head) => (image(head, 'staging').image = 'registry.gravl.app:5000/gravl/backend'));
    expectFlag(found, 'Deployment gravl-staging/backend', /has no tag \(pulls latest\)/, 'staging');
  });

  it('flags an image reference that is not one, and a malformed digest', () => {
    const found = flagged('image', (head) => (image(head, 'production').image = `${repository('production')}@sha256:abc`));
    expectFlag(found, 'Deployment gravl-prod/backend', /is not a valid image reference/);
    expectFlag(flagged('image', (head) => (image(head, 'staging').image = 'Gravl/Backend:1.0')), 'Deployment gravl-staging/backend', /is not a valid image reference/, 'staging');
  });

  it('flags an image losing its digest in production', () => {
    const before = String(image(copyOf(), 'production').image);
    expect(before).toMatch(/@sha256:[0-9a-f]{64}$/);
    const found = flagged('image', (head) => (image(head, 'production').image = before.replace(/@sha256:.*$/, '')));
    expectFlag(found, 'Deployment gravl-prod/backend', /has no @sha256 digest in production \(was /);
  });

  it('does not flag a version bump: a new tag in staging, a new tag and digest in production', () => {
    const found = flagged('image', (head) => {
      image(head, 'staging').image = `${repository('staging')}:9.9.9`;
      image(head, 'production').image = `${repository('production')}:9.9.9@sha256:${'b'.repeat(64)}`;
    });
    expect(found).toEqual([]);
  });
});

describe('risk flags: storage', () => {
  const claim = object('v1', 'PersistentVolumeClaim', 'loki-data', 'gravl-monitoring', {
    spec: { accessModes: ['ReadWriteOnce'], storageClassName: 'gp3', resources: { requests: { storage: '20Gi' } } },
  });
  it("flags a PersistentVolumeClaim's storageClassName changed", () => {
    const found = flagged('storage', (head) => (find(head, 'production', 'PersistentVolumeClaim', 'loki-data').spec.storageClassName = 'standard'), { objects: [claim] });
    expectFlag(found, 'PersistentVolumeClaim gravl-monitoring/loki-data', /storageClassName changed from gp3 to standard/);
  });

  it("flags a PersistentVolumeClaim's requested size changed", () => {
    const found = flagged('storage', (head) => (find(head, 'production', 'PersistentVolumeClaim', 'loki-data').spec.resources.requests.storage = '10Gi'), { objects: [claim] });
    expectFlag(found, 'PersistentVolumeClaim gravl-monitoring/loki-data', /requested storage changed from 20Gi to 10Gi \(a volume cannot shrink\)/);
  });

  it("flags the postgres StatefulSet's volumeClaimTemplate class and size changed", () => {
    const found = flagged(
      'storage',
      (head) => {
        const template = find(head, 'production', 'StatefulSet', 'postgres').spec.volumeClaimTemplates[0].spec;
        delete template.storageClassName;
        template.resources.requests.storage = '100Gi';
      },
    );
    expect(found.map((f) => `${f.objectId}: ${f.message}`)).toEqual([
      'StatefulSet gravl-prod/postgres: volumeClaimTemplate data: storageClassName changed from gp3 to (cluster default) (a live StatefulSet cannot change its volumeClaimTemplates)',
      'StatefulSet gravl-prod/postgres: volumeClaimTemplate data: requested storage changed from 20Gi to 100Gi (a live StatefulSet cannot change its volumeClaimTemplates)',
    ]);
  });
});

describe('risk flags: harmless changes', () => {
  it('does not flag a label added to every object of every environment', () => {
    const head = copyOf();
    for (const [env, objects] of head) for (const o of [...objects]) editable(head, env, (x) => x === o).metadata.labels = { ...o.metadata.labels, 'gravl.app/reviewed': 'true' };
    const report = diff(realTree(), head);
    expect(report.environments.map((e) => objectsOf(e, 'changed').length)).toEqual([...realTree().values()].map((objects) => objects.length));
    expect(allRisks(report)).toEqual([]);
  });
});

describe('risk flags: objects added', () => {
  it('flags a NetworkPolicy added, since a policy can only open traffic', () => {
    const found = flagged('network-policy', (head) => head.get('production')!.push(structuredClone(POLICY)));
    expectFlag(found, POLICY_ID, /NetworkPolicy added: it can only open traffic/);
    expect(found[0]!.severity).toBe('medium');
  });

  it('flags a binding added to ClusterRole admin or edit, not only cluster-admin', () => {
    const binding = object('rbac.authorization.k8s.io/v1', 'RoleBinding', 'helpers', 'gravl-prod', {
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
      subjects: [{ kind: 'ServiceAccount', name: 'backend', namespace: 'gravl-prod' }],
    });
    const found = flagged('rbac', (head) => head.get('production')!.push(binding));
    expectFlag(found, 'RoleBinding gravl-prod/helpers', /binds ClusterRole edit: broad write access/);
  });

  it('flags a new Role that grants exec into pods, or a wildcard sub-resource', () => {
    const role = object('rbac.authorization.k8s.io/v1', 'Role', 'debug', 'gravl-prod', { rules: [{ apiGroups: [''], resources: ['pods/exec'], verbs: ['create'] }] });
    expectFlag(flagged('rbac', (head) => head.get('production')!.push(role)), 'Role gravl-prod/debug', /new role grants create pods\/exec/);
    const wild = object('rbac.authorization.k8s.io/v1', 'Role', 'debug', 'gravl-prod', { rules: [{ apiGroups: [''], resources: ['pods/*'], verbs: ['create'] }] });
    expectFlag(flagged('rbac', (head) => head.get('production')!.push(wild)), 'Role gravl-prod/debug', /rules gain a wildcard \(\*\) in resources/);
  });

  it('flags a new Role that grants escalate, bind or impersonate, the verbs readiness fails', () => {
    const role = object('rbac.authorization.k8s.io/v1', 'Role', 'grantor', 'gravl-prod', {
      rules: [
        { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate', 'bind'] },
        { apiGroups: [''], resources: ['serviceaccounts'], verbs: ['impersonate'] },
      ],
    });
    expectFlag(flagged('rbac', (head) => head.get('production')!.push(role)), 'Role gravl-prod/grantor', /new role grants escalate roles, bind roles, impersonate serviceaccounts/);
  });
});

describe('risk flags: fields the API server does not change in place', () => {
  it('flags a migration Job whose command changes under the same name, and not one left alone', () => {
    const job = migrationJobName('production');
    const found = flagged('immutable', (head) => (find(head, 'production', 'Job', job).spec.template.spec.containers[0].command = ['node', 'migrate.js']));
    expectFlag(found, `Job gravl-prod/${job}`, new RegExp(`spec\\.template changed.*rejected until Job ${job} is deleted`));
    expect(found[0]!.severity).toBe('high');
    expect(flagged('immutable', () => undefined)).toEqual([]);
  });

  it('flags a changed Job applied by hand (manual/) as a step for whoever applies it next, not as a sync that fails', () => {
    const found = flagged('immutable', (head) => (find(head, 'staging', 'Job', 'load-test').spec.template.spec.containers[0].args = ['run', 'other.js']));
    expectFlag(found, 'Job gravl-staging/load-test', /spec\.template changed in an object applied by hand \(manual\/\), which no sync applies: delete the earlier Job before applying it \(kubectl -n gravl-staging delete job load-test\), or the apply is rejected/, 'staging');
    expect(found[0]!.severity).toBe('medium');
  });

  it('flags a changed workload selector, and lets a Deployment\'s pod template change', () => {
    const selector = flagged('immutable', (head) => (find(head, 'production', 'Deployment', 'backend').spec.selector.matchLabels.tier = 'api'));
    expectFlag(selector, 'Deployment gravl-prod/backend', /spec\.selector changed/);
    expect(flagged('immutable', (head) => (find(head, 'production', 'Deployment', 'backend').spec.template.spec.containers[0].command = ['node', 'server.js']))).toEqual([]);
  });

  it('flags a StatefulSet moved to another governing Service', () => {
    expectFlag(flagged('immutable', (head) => (find(head, 'production', 'StatefulSet', 'postgres').spec.serviceName = 'db')), 'StatefulSet gravl-prod/postgres', /spec\.serviceName changed/);
  });
});

describe('risk flags: database roles', () => {
  const setUser = (tree: EditableTree, kind: string, name: string, user: string | { secret: string }) => {
    const o = find(tree, 'production', kind, name);
    const spec = kind === 'CronJob' ? o.spec.jobTemplate.spec.template.spec : o.spec.template.spec;
    const env = [...(spec.initContainers ?? []), ...spec.containers].flatMap((c: any) => c.env ?? []).find((e: any) => e.name === 'PGUSER');
    if (typeof user === 'string') {
      env.value = user;
      delete env.valueFrom;
    } else {
      delete env.value;
      env.valueFrom = { secretKeyRef: { name: user.secret, key: 'username' } };
    }
  };

  it('flags a workload moving to a more powerful database role, and not one moving to a weaker one', () => {
    expectFlag(
      flagged('database-role', (head) => setUser(head, 'Deployment', 'backend', 'gravl_owner')),
      'Deployment gravl-prod/backend',
      /container backend connects as gravl_owner \(owner\) instead of gravl_app \(app\): a more powerful database role/,
    );
    expectFlag(
      flagged('database-role', (head) => setUser(head, 'CronJob', 'postgres-backup', { secret: 'gravl-db-credentials' })),
      'CronJob gravl-prod/postgres-backup',
      /container backup connects as secret gravl-db-credentials\/username \(superuser\) instead of gravl_backup \(backup\)/,
    );
    expect(flagged('database-role', (head) => setUser(head, 'Deployment', 'backend', 'gravl_monitoring'))).toEqual([]);
    expect(flagged('database-role', () => undefined)).toEqual([]);
  });

  it('flags a new workload that connects as the superuser, but not the role Job', () => {
    const debug = object('batch/v1', 'Job', 'debug', 'gravl-prod', {
      spec: { template: { spec: { containers: [{ name: 'psql', image: 'postgres:16.4', env: [{ name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'gravl-db-credentials', key: 'username' } } }] }] } } },
    });
    expectFlag(flagged('database-role', (head) => head.get('production')!.push(debug)), 'Job gravl-prod/debug', /container psql connects as secret gravl-db-credentials\/username, the superuser/);
    expect(flagged('database-role', (head) => (find(head, 'production', 'Job', 'postgres-roles').spec.template.spec.containers[0].env[0].value = 'x'))).toEqual([]);
  });
});

describe('risk flags: Argo CD Applications and projects', () => {
  /** The committed dist/, Applications and projects included (argocd/ is compared as an environment of its own). */
  let read: ReturnType<typeof readTree> | undefined;
  /** The committed dist/ as `npm run diff` reads it (read once: copyOf copies it for each tree). */
  const committed = () => (read ??= readTree(path.join(ROOT, 'dist')));
  const gitops = (edit: (app: any, project: any) => void) => flagged('gitops', (head) => edit(find(head, 'argocd', 'Application', 'gravl-production'), find(head, 'argocd', 'AppProject', 'gravl-production')), { tree: committed });

  it('flags production following another ref than the one promotion moves', () => {
    expectFlag(gitops((app) => (app.spec.source.targetRevision = 'main')), 'Application argocd/gravl-production', /syncs from targetRevision main instead of production/, 'argocd');
  });

  it('flags an Application moving to another project', () => {
    expectFlag(gitops((app) => (app.spec.project = 'default')), 'Application argocd/gravl-production', /moves from project gravl-production to default/, 'argocd');
  });

  it('flags a change of the prune policy either way: automated prune turned on, or off, or its sync options', () => {
    expectFlag(gitops((app) => (app.spec.syncPolicy.automated.prune = true)), 'Application argocd/gravl-production', /automated prune turned on/, 'argocd');
    const off = flagged('gitops', (head) => (find(head, 'argocd', 'Application', 'gravl-staging').spec.syncPolicy.automated.prune = false), { tree: committed });
    expectFlag(off, 'Application argocd/gravl-staging', /automated prune turned off/, 'argocd');
    expectFlag(gitops((app) => (app.spec.syncPolicy.syncOptions = app.spec.syncPolicy.syncOptions.filter((o: string) => o !== 'PruneLast=true'))), 'Application argocd/gravl-production', /prune options changed from PruneLast=true to none/, 'argocd');
  });

  it('flags a project that permits another namespace or cluster-scoped kind', () => {
    const found = gitops((_app, project) => {
      project.spec.destinations.push({ server: 'https://kubernetes.default.svc', namespace: 'kube-system' });
      project.spec.clusterResourceWhitelist.push({ group: 'admissionregistration.k8s.io', kind: 'ValidatingWebhookConfiguration' });
    });
    expect(found.map((f) => f.message)).toEqual([
      'project now permits destination kube-system on https://kubernetes.default.svc',
      'project now permits cluster-scoped kind admissionregistration.k8s.io/ValidatingWebhookConfiguration',
    ]);
  });

  it('flags a project that stops permitting a kind or namespace a running revision may still hold', () => {
    const found = gitops((_app, project) => {
      project.spec.namespaceResourceWhitelist = project.spec.namespaceResourceWhitelist.filter((e: any) => e.kind !== 'HTTPRoute');
    });
    expect(found.map((f) => [f.severity, f.message])).toEqual([
      ['high', expect.stringMatching(/^project no longer permits namespaced kind gateway\.networking\.k8s\.io\/HTTPRoute: an environment still running a revision that holds it fails its sync until it is promoted/)],
    ]);
  });

  it('does not flag an Application or project left as it is', () => {
    expect(gitops(() => undefined)).toEqual([]);
  });
});
