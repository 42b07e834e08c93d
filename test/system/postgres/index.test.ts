/** The Postgres component: the database and what keeps it, each part in the wave it must be applied in. */
import { describe, expect, it } from 'vitest';
import { environment } from '../../support/render';
import { fileOf } from '../../support/waves';

describe.each(['staging', 'production'])('Postgres in %s', (name) => {
  const env = environment(name);

  it('applies the server with its role Job first, the migrations in the next wave, the backups last, and each restore by hand only', () => {
    expect(fileOf(env, 'StatefulSet', 'postgres')).toMatch(/^\d{4}-postgres\.k8s\.yaml$/);
    expect(fileOf(env, 'Job', 'postgres-roles')).toBe(fileOf(env, 'StatefulSet', 'postgres'));
    const migrations = env.manifests.findIndex((m) => m.objects.some((o) => o.kind === 'Job' && /^backend-migrate/.test(o.metadata.name)));
    const server = env.manifests.findIndex((m) => m.name === fileOf(env, 'StatefulSet', 'postgres'));
    const api = env.manifests.findIndex((m) => m.name === fileOf(env, 'Deployment', 'backend'));
    expect(migrations).toBe(server + 1);
    expect(api).toBeGreaterThan(migrations);
    // The backups' claim binds only when the first backup pod runs: nothing may wait behind it, so
    // it is in the last wave (which the edge shares).
    const waveOf = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']);
    const claim = env.objects.find((o) => o.kind === 'PersistentVolumeClaim' && o.metadata.name === 'postgres-backups')!;
    expect(waveOf(claim)).toBe(Math.max(...env.objects.map(waveOf)));
    expect(fileOf(env, 'CronJob', 'postgres-backup')).toBe(fileOf(env, 'PersistentVolumeClaim', 'postgres-backups'));
    expect(fileOf(env, 'Job', 'postgres-restore')).toBe('manual/postgres-restore.k8s.yaml');
  });
});

describe('Postgres with an off-site copy', () => {
  it('puts the off-site restore in a manual file of its own, so applying one restore never starts the other', () => {
    const env = environment('production');
    expect(fileOf(env, 'Job', 'postgres-restore-offsite')).toBe('manual/postgres-restore-offsite.k8s.yaml');
  });
});
