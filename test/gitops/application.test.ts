import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderCommitted, ROOT } from '../support/render';

describe('Argo CD', () => {
  it.each(['staging', 'production'])('syncs dist/%s into its namespace, pruning, wave by wave', (name) => {
    const app = parse(fs.readFileSync(path.join(ROOT, 'dist', 'argocd', `gravl-${name}.yaml`), 'utf8'));
    expect(app).toMatchObject({ apiVersion: 'argoproj.io/v1alpha1', kind: 'Application', metadata: { name: `gravl-${name}`, namespace: 'argocd' } });
    expect(app.spec.source).toMatchObject({ path: `dist/${name}`, targetRevision: 'main' });
    expect(app.spec.syncPolicy.automated).toEqual({ prune: true, selfHeal: true });
    expect(app.spec.syncPolicy.syncOptions).toContain('PruneLast=true');
  });

  it('puts every applied object in the wave of its chart, namespaces first and the migrations before the backend', () => {
    for (const env of renderCommitted()) {
      env.manifests.forEach((file, wave) => {
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
