import { describe, expect, it } from 'vitest';
import { imageVersion } from '../../../lib/system/postgres/migrations';
import { committedText, edit, environment, migrationJobName, objects, podSpecOf, renderTexts } from '../../support/render';

describe('migrations', () => {
  const staging = environment('staging');
  const job = () => objects(staging, 'Job').find((j) => j.metadata.name.startsWith('backend-migrate-'))!;
  const jobName = migrationJobName('staging');

  it('runs the backend image\'s migration command against the database, once per backend version', () => {
    expect(job().metadata.name).toBe(jobName);
    const [container] = podSpecOf(job())!.containers;
    const backend = podSpecOf(objects(staging, 'Deployment', 'backend')[0]!)!.containers[0];
    expect(container.image).toBe(backend.image);
    expect(container.command).toEqual(['npm', 'run', 'migrate']);
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.PGHOST).toBe('postgres.gravl-staging.svc.cluster.local');
    expect(env.PGUSER).toBe('gravl_owner');
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'gravl-db-owner', key: 'password' } });
  });

  it('waits until the owner role logs in before migrating, so it never runs ahead of the role Job', () => {
    const [wait] = podSpecOf(job())!.initContainers;
    expect(wait.name).toBe('wait-for-role');
    expect(wait.command.join(' ')).toContain('until psql');
    expect(wait.env).toContainEqual({ name: 'PGUSER', value: 'gravl_owner' });
    expect(JSON.stringify(podSpecOf(job()))).not.toContain('gravl-db-credentials');
  });

  it('has a deadline and a backoff limit, and never restarts in place', () => {
    expect(job().spec).toMatchObject({ backoffLimit: 2, activeDeadlineSeconds: 600 });
    expect(podSpecOf(job())!.restartPolicy).toBe('Never');
  });

  it('is applied after the database and before the backend', () => {
    const file = (kind: string, name: string) => staging.files.findIndex((f) => f.content.includes(`kind: ${kind}\nmetadata:`) && new RegExp(`\\n  name: ${name}\\n`).test(f.content));
    const migrations = staging.files.findIndex((f) => f.name.endsWith('-migrations.k8s.yaml'));
    expect(migrations).toBeGreaterThan(file('StatefulSet', 'postgres'));
    expect(migrations).toBeLessThan(file('Deployment', 'backend'));
    const order = staging.objects.map((o) => `${o.kind}/${o.metadata.name}`);
    expect(order.indexOf(`Job/${job().metadata.name}`)).toBeLessThan(order.indexOf('Deployment/backend'));
  });

  it('follows the migration command of the environment file', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['backend', 'migrationCommand'], doc.createNode(['node', 'dist/migrate.js'])));
    const [env] = renderTexts({ staging: text });
    const migrate = objects(env!, 'Job').find((j) => j.metadata.name.startsWith('backend-migrate-'))!;
    expect(podSpecOf(migrate)!.containers[0].command).toEqual(['node', 'dist/migrate.js']);
    expect(migrate.metadata.name).toBe(jobName);
  });

  it('names the Job after the backend release the file names, so another release is another Job', () => {
    const [env] = renderTexts({ staging: edit(committedText('staging'), (doc) => doc.setIn(['backend', 'image'], 'registry.gravl.app/gravl/backend:9.9.9')) });
    expect(objects(env!, 'Job').filter((j) => j.metadata.name.startsWith('backend-migrate-')).map((j) => j.metadata.name)).toEqual(['backend-migrate-9-9-9']);
  });

  it('names the version from the tag, or from the digest when there is no tag', () => {
    expect(imageVersion('registry.gravl.app/gravl/backend:1.4.2')).toBe('1-4-2');
    expect(imageVersion(`registry.gravl.app/gravl/backend@sha256:${'ab'.repeat(32)}`)).toBe('abababababab');
    expect(imageVersion('registry.gravl.app/gravl/backend:V2_RC.1')).toBe('v2-rc-1');
  });
});
