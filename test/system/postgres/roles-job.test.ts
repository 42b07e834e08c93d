import { describe, expect, it } from 'vitest';
import { POSTGRES_SCRIPTS } from '../../../lib/system/postgres/scripts';
import { containersOf, environment, object, podSpecOf } from '../../support/render';

describe.each(['staging', 'production'])('the role Job in %s', (name) => {
  const env = environment(name);
  const namespace = name === 'staging' ? 'gravl-staging' : 'gravl-prod';
  const job = object(env, 'Job', 'postgres-roles');

  it('runs roles.sh and the common.sh it sources from ConfigMap postgres-roles, byte for byte as tested, with psql of the server', () => {
    expect((object(env, 'ConfigMap', 'postgres-roles') as any).data).toEqual({ 'roles.sh': POSTGRES_SCRIPTS['roles.sh'], 'common.sh': POSTGRES_SCRIPTS['common.sh'] });
    const [container] = podSpecOf(job)!.containers;
    expect(container.command).toEqual(['sh', '/scripts/roles.sh']);
    expect(container.image).toBe(podSpecOf(object(env, 'StatefulSet', 'postgres'))!.containers[0].image);
  });

  it('connects as the superuser and sets each role from its own sealed password', () => {
    const env_ = Object.fromEntries(podSpecOf(job)!.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env_.PGUSER).toEqual({ secretKeyRef: { name: 'gravl-db-credentials', key: 'username' } });
    expect(env_.PGPASSWORD).toEqual({ secretKeyRef: { name: 'gravl-db-credentials', key: 'password' } });
    for (const role of ['owner', 'app', 'backup', 'monitoring']) {
      expect(env_[`ROLE_${role.toUpperCase()}`]).toBe(`gravl_${role}`);
      expect(env_[`ROLE_${role.toUpperCase()}_PASSWORD`]).toEqual({ secretKeyRef: { name: `gravl-db-${role}`, key: 'password' } });
      expect(object(env, 'SealedSecret', `gravl-db-${role}`).metadata.namespace).toBe(namespace);
    }
  });

  it('runs on every sync, before the migrations: an Argo CD Sync hook in the database wave, and gone after it finished under kubectl apply', () => {
    expect(job.metadata.annotations).toMatchObject({
      'argocd.argoproj.io/hook': 'Sync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation,HookSucceeded',
    });
    expect((job.spec as any).ttlSecondsAfterFinished).toBe(600);
    const fileOf = (kind: string, n: string) => env.files.findIndex((f) => f.content.includes(`kind: ${kind}\nmetadata:`) && new RegExp(`\\n  name: ${n}\\n`).test(f.content));
    const migrations = env.files.findIndex((f) => f.name.endsWith('-migrations.k8s.yaml'));
    expect(fileOf('Job', 'postgres-roles')).toBeLessThan(migrations);
    const wave = (o: { metadata: { annotations?: Record<string, string> } }) => Number(o.metadata.annotations!['argocd.argoproj.io/sync-wave']);
    const migrate = env.objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('backend-migrate-'))!;
    expect(wave(job)).toBeLessThan(wave(migrate));
  });

  it('is the only workload, besides the server itself, that reads the superuser password', () => {
    const readers: string[] = [];
    for (const o of [...env.objects, ...env.manualObjects]) {
      for (const c of containersOf(o)) {
        if (JSON.stringify(c).includes('"gravl-db-credentials"')) readers.push(`${o.kind}/${o.metadata.name}/${c.name}`);
      }
    }
    expect(readers.sort()).toEqual(['Job/postgres-roles/roles', 'StatefulSet/postgres/postgres']);
  });

  it('has the exporter connect as the monitoring role', () => {
    const exporter = podSpecOf(object(env, 'StatefulSet', 'postgres'))!.containers.find((c: any) => c.name === 'exporter');
    expect(exporter.env).toContainEqual({ name: 'DATA_SOURCE_USER', value: 'gravl_monitoring' });
    expect(exporter.env).toContainEqual({ name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: 'gravl-db-monitoring', key: 'password' } } });
  });
});
