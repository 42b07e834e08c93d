import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import type { EnvironmentFile } from '../../lib/model/schema';
import { appProject, gitopsSettings, groupOf } from '../../lib/render/applications';
import { renderAll } from '../../lib/render/synth';
import { validateObject } from '../support/kube-schema';
import { committedText, edit, renderCommitted, ROOT, sourceFor } from '../support/render';
import { type KubeObject } from '../../lib/contract';

type Json = Record<string, any>;

/** The objects of a file of dist/argocd/, as committed. */
function argocd(file: string): Json[] {
  return parseAllDocuments(fs.readFileSync(path.join(ROOT, 'dist', 'argocd', file), 'utf8')).map((d) => d.toJS());
}
const find = (docs: Json[], kind: string) => docs.find((d) => d.kind === kind)!;

/** Shell-style glob of Argo CD's project lists (`*` matches anything). */
function glob(pattern: string, value: string): boolean {
  return new RegExp(`^${pattern.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`).test(value);
}

/**
 * Whether an AppProject lets its Application sync an object, as Argo CD decides it: the source
 * repository must be in sourceRepos; a cluster-scoped kind must be in clusterResourceWhitelist (an
 * empty list allows none); a namespaced kind in namespaceResourceWhitelist (an absent list allows
 * all), and its namespace, on the destination server, in destinations. Argo CD learns an object's
 * scope from the cluster's discovery; here a rendered object without a namespace is cluster-scoped.
 * Returns the reason for a refusal, or undefined.
 */
function refusal(project: Json, app: Json, o: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): string | undefined {
  const spec = project.spec;
  if (!(spec.sourceRepos ?? []).some((r: string) => glob(r, app.spec.source.repoURL))) return `repository ${app.spec.source.repoURL} not permitted`;
  const group = groupOf(o);
  const listed = (list: Json[] | undefined) => (list ?? []).some((e) => glob(e.group, group) && glob(e.kind, o.kind));
  const server = app.spec.destination.server;
  if (o.metadata.namespace === undefined) {
    if (!listed(spec.clusterResourceWhitelist) || listed(spec.clusterResourceBlacklist)) return `cluster-scoped ${group}/${o.kind} not permitted`;
    return undefined;
  }
  if ((spec.namespaceResourceWhitelist !== undefined && !listed(spec.namespaceResourceWhitelist)) || listed(spec.namespaceResourceBlacklist)) return `namespaced ${group}/${o.kind} not permitted`;
  if (!(spec.destinations ?? []).some((d: Json) => glob(d.server, server) && glob(d.namespace, o.metadata.namespace!))) return `namespace ${o.metadata.namespace} on ${server} not permitted`;
  return undefined;
}

describe('the Applications', () => {
  it('syncs dist/staging from main, wave by wave, pruning on its own', () => {
    const app = find(argocd('gravl-staging.yaml'), 'Application');
    expect(app).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: 'gravl-staging', namespace: 'argocd' } });
    expect(app.spec.source).toMatchObject({ path: 'dist/staging', targetRevision: 'main' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toContain('PruneLast=true');
  });

  it('syncs dist/production from the ref only promotion moves, and leaves pruning to a person', () => {
    const app = find(argocd('gravl-production.yaml'), 'Application');
    expect(app.spec.source).toMatchObject({ path: 'dist/production', targetRevision: 'production' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
  });

  it('rejects a promoted environment that follows the mainline itself', () => {
    const text = edit(committedText('production'), (doc) => doc.setIn(['gitops', 'targetRevision'], 'main'));
    expect(() => renderAll([sourceFor('production', text)])).toThrow(/gitops\.targetRevision: found "main", the mainline, with promotedFrom "staging"; expected a ref only npm run promote moves/);
  });

  it.each(['staging', 'production'])('puts %s in its own project, and syncs both from main by a root Application that syncs itself', (name) => {
    const [project, app] = [find(argocd(`gravl-${name}.yaml`), 'AppProject'), find(argocd(`gravl-${name}.yaml`), 'Application')];
    expect(project.metadata.name).toBe(`gravl-${name}`);
    expect(app.spec.project).toBe(`gravl-${name}`);
    const root = argocd(`gravl-${name}-root.yaml`);
    const rootApp = find(root, 'Application');
    expect(rootApp.spec.source).toMatchObject({ path: 'dist/argocd', targetRevision: 'main', directory: { recurse: false, include: `{gravl-${name}.yaml,gravl-${name}-root.yaml}` } });
    expect(rootApp.spec.project).toBe(`gravl-${name}-root`);
    // The root never prunes: dropping an Application's file must not cascade-delete its workloads.
    expect(rootApp.spec.syncPolicy.automated).toEqual({ prune: false, selfHeal: true });
    // The root's project permits the Applications and projects it syncs, in Argo CD's namespace, and nothing else.
    for (const o of [...argocd(`gravl-${name}.yaml`), ...root]) expect(refusal(find(root, 'AppProject'), rootApp, o as KubeObject), `${o.kind} ${o.metadata.name}`).toBeUndefined();
    expect(refusal(find(root, 'AppProject'), rootApp, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'argocd' } })).toMatch(/namespaced apps\/Deployment not permitted/);
  });

  it('validates every Argo CD object against the Argo CD CRDs, with no unknown field', () => {
    const files = fs.readdirSync(path.join(ROOT, 'dist', 'argocd'));
    expect(files.sort()).toEqual(['gravl-production-root.yaml', 'gravl-production.yaml', 'gravl-staging-root.yaml', 'gravl-staging.yaml']);
    const all = files.flatMap(argocd);
    expect(all.map((o) => o.kind).sort()).toEqual(['AppProject', 'AppProject', 'AppProject', 'AppProject', 'Application', 'Application', 'Application', 'Application']);
    expect(all.flatMap((o) => validateObject(o as KubeObject))).toEqual([]);
  });

  it('fails an Argo CD object with an unknown field', () => {
    const project = structuredClone(find(argocd('gravl-staging.yaml'), 'AppProject'));
    project.spec.sourceRepo = project.spec.sourceRepos;
    const app = structuredClone(find(argocd('gravl-staging.yaml'), 'Application'));
    app.spec.syncPolicy.automated.prun = true;
    expect([...validateObject(project as KubeObject), ...validateObject(app as KubeObject)]).toEqual([
      'AppProject argocd/gravl-staging: spec.sourceRepo is not a field of argoproj.io/v1alpha1 AppProject',
      'Application argocd/gravl-staging: spec.syncPolicy.automated.prun is not a field of argoproj.io/v1alpha1 Application',
    ]);
  });

  it('leaves the replica count of every workload an HPA scales to the HPA', () => {
    const app = find(argocd('gravl-production.yaml'), 'Application');
    const production = renderCommitted().find((e) => e.name === 'production')!;
    const targets = production.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler').map((h) => (h.spec as Json).scaleTargetRef.name).sort();
    expect(targets.length).toBeGreaterThan(0);
    expect(app.spec.ignoreDifferences.filter((i: Json) => i.jsonPointers?.includes('/spec/replicas')).map((i: Json) => i.name).sort()).toEqual(targets);
    expect(app.spec.syncPolicy.syncOptions).toContain('RespectIgnoreDifferences=true');
    // Staging has no HPA: nothing to leave to a controller.
    expect(find(argocd('gravl-staging.yaml'), 'Application').spec.ignoreDifferences).toBeUndefined();
  });

  it('leaves the remoteRef defaults the External Secrets webhook writes to it, where the output has ExternalSecrets', () => {
    const text = edit(committedText('production'), (doc) =>
      doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' }, refreshInterval: '1h', keyPrefix: 'gravl/production' } })),
    );
    const { shared } = renderAll([sourceFor('production', text)], { readiness: false });
    const docs = parseAllDocuments(shared.find((f) => f.name === 'argocd/gravl-production.yaml')!.content).map((d) => d.toJS());
    const app = find(docs, 'Application');
    expect(app.spec.ignoreDifferences).toContainEqual(expect.objectContaining({ group: 'external-secrets.io', kind: 'ExternalSecret', jqPathExpressions: expect.arrayContaining(['.spec.data[]?.remoteRef.conversionStrategy']) }));
    expect(docs.flatMap((o) => validateObject(o as KubeObject))).toEqual([]);
  });

  it('puts every applied object in the wave of its chart, namespaces first, the migrations before the backend, and the backups and the edge together last', () => {
    for (const env of renderCommitted()) {
      // The last wave is shared by the backups and the edge (lib/system/gravl.ts LAST_WAVE); every
      // other file is a wave of its own, numbered as the file.
      const lastWave = env.manifests.findIndex((m) => m.name.endsWith('-postgres-backup.k8s.yaml'));
      expect(env.manifests.slice(lastWave).map((m) => m.name.replace(/^\d+-/, ''))).toEqual(['postgres-backup.k8s.yaml', 'edge.k8s.yaml']);
      env.manifests.forEach((file, index) => {
        const wave = Math.min(index, lastWave);
        for (const o of file.objects) expect(o.metadata.annotations?.['argocd.argoproj.io/sync-wave'], `${file.name} ${o.kind} ${o.metadata.name}`).toBe(String(wave));
      });
      const waveOf = (kind: string, prefix: string) => Number(env.objects.find((o) => o.kind === kind && o.metadata.name.startsWith(prefix))!.metadata.annotations!['argocd.argoproj.io/sync-wave']);
      expect(waveOf('Namespace', 'gravl')).toBe(0);
      expect(waveOf('Job', 'backend-migrate')).toBeLessThan(waveOf('Deployment', 'backend'));
      expect(waveOf('StatefulSet', 'postgres')).toBeLessThan(waveOf('Job', 'backend-migrate'));
      expect(waveOf('SealedSecret', 'gravl-db-credentials')).toBeLessThan(waveOf('StatefulSet', 'postgres'));
    }
  });
});

describe('the AppProject of each environment', () => {
  const rendered = renderCommitted();

  it.each(rendered.map((e) => [e.name, e] as const))('%s: permits every object of its output', (name, env) => {
    const docs = argocd(`gravl-${name}.yaml`);
    const [project, app] = [find(docs, 'AppProject'), find(docs, 'Application')];
    expect(env.objects.length).toBeGreaterThan(100);
    expect(env.objects.map((o) => refusal(project, app, o)).filter(Boolean)).toEqual([]);
  });

  it.each(rendered.map((e) => [e.name, e] as const))('%s: refuses a namespace, a kind and a repository outside its output', (name, env) => {
    const docs = argocd(`gravl-${name}.yaml`);
    const [project, app] = [find(docs, 'AppProject'), find(docs, 'Application')];
    const deployment = env.objects.find((o) => o.kind === 'Deployment')!;
    expect(refusal(project, app, { ...deployment, metadata: { ...deployment.metadata, namespace: 'kube-system' } })).toBe('namespace kube-system on https://kubernetes.default.svc not permitted');
    expect(refusal(project, app, { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'x' } })).toBe('cluster-scoped admissionregistration.k8s.io/ValidatingWebhookConfiguration not permitted');
    expect(refusal(project, app, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x', namespace: deployment.metadata.namespace! } })).toBe('namespaced /Secret not permitted');
    expect(refusal(project, { ...app, spec: { ...app.spec, source: { ...app.spec.source, repoURL: 'https://example.com/other.git' } } }, deployment)).toBe('repository https://example.com/other.git not permitted');
    // The same Deployment where it belongs passes: the refusals above are about what changed.
    expect(refusal(project, app, deployment)).toBeUndefined();
  });

  it('permits exactly the cluster-scoped kinds the objects hold, derived from them: a StorageClass added is permitted', () => {
    const staging = rendered.find((e) => e.name === 'staging')!;
    const settings = gitopsSettings('staging', parse(committedText('staging')) as EnvironmentFile);
    const priorityClass = { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name: 'gravl-fast' }, provisioner: 'ebs.csi.aws.com' } as unknown as KubeObject;
    const before = appProject('gravl-staging', settings, staging.objects, 'gravl-staging', '') as Json;
    const after = appProject('gravl-staging', settings, [...staging.objects, priorityClass], 'gravl-staging', '') as Json;
    const clusterKinds = (p: Json) => p.spec.clusterResourceWhitelist.map((e: Json) => `${e.group}/${e.kind}`);
    expect(clusterKinds(before)).toEqual([...new Set(staging.objects.filter((o) => o.metadata.namespace === undefined).map((o) => `${groupOf(o)}/${o.kind}`))].sort());
    // The output's PriorityClasses are permitted because the output holds them.
    expect(clusterKinds(before)).toContain('scheduling.k8s.io/PriorityClass');
    expect(clusterKinds(before)).not.toContain('storage.k8s.io/StorageClass');
    expect(clusterKinds(after)).toContain('storage.k8s.io/StorageClass');
    const app = find(argocd('gravl-staging.yaml'), 'Application');
    expect(refusal(before, app, priorityClass)).toMatch(/not permitted/);
    expect(refusal(after, app, priorityClass)).toBeUndefined();
  });
});
