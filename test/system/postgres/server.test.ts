import { describe, expect, it } from 'vitest';
import { committedText, edit, environment, object, objects, podSpecOf, problemsOf, renderTexts } from '../../support/render';

describe('postgres', () => {
  const staging = environment('staging');
  const production = environment('production');

  it('reads the superuser credentials from the Secret the environment file names, in the server and the role Job only', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['database', 'credentialsSecret'], 'gravl-db'));
    let message = '';
    try {
      renderTexts({ staging: text });
    } catch (error) {
      message = (error as Error).message;
    }
    // Nothing sealed under the new name yet: synth names every reader and the command that seals it.
    expect(message).toContain('gravl-staging.gravl-db.data.password: found no sealed value');
    expect(message).toMatch(/gravl-db\.data\.password: found no sealed value, expected the one read by StatefulSet postgres and Job postgres-roles:/);
    expect(message).toContain('npm run seal -- --env staging --namespace gravl-staging --name gravl-db --key password');
  });

  it('runs one replica as StatefulSet postgres (pod postgres-0) governed by headless Service postgres on 5432', () => {
    const sts = object(staging, 'StatefulSet', 'postgres');
    const service = object(staging, 'Service', 'postgres');
    expect((sts.spec as any).replicas).toBe(1);
    expect((sts.spec as any).serviceName).toBe('postgres');
    expect((service.spec as any).clusterIP).toBe('None');
    expect((service.spec as any).ports).toContainEqual({ name: 'postgres', port: 5432, targetPort: 'postgres', protocol: 'TCP' });
    expect((service.spec as any).selector).toEqual((sts.spec as any).selector.matchLabels);
  });

  it('keeps its data on a claim of the class and size the environment declares, never deleted with the StatefulSet', () => {
    const claim = (env: typeof staging) => (object(env, 'StatefulSet', 'postgres').spec as any).volumeClaimTemplates[0].spec;
    expect(claim(staging)).toMatchObject({ storageClassName: 'local-path', resources: { requests: { storage: '2Gi' } }, accessModes: ['ReadWriteOnce'] });
    expect(claim(production)).toMatchObject({ storageClassName: 'gp3', resources: { requests: { storage: '20Gi' } } });
    expect((object(staging, 'StatefulSet', 'postgres').spec as any).persistentVolumeClaimRetentionPolicy).toEqual({ whenDeleted: 'Retain', whenScaled: 'Retain' });
  });

  it('rejects a data volume on a class the cluster lacks', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['postgres', 'storage', 'storageClassName'], 'standard'));
    expect(problemsOf({ staging: text })).toEqual([expect.stringContaining('postgres.storage.storageClassName: found StorageClass "standard"')]);
  });

  it('runs as the postgres user with an fsGroup, never as root, with pg_isready probes and resources', () => {
    const pod = podSpecOf(object(staging, 'StatefulSet', 'postgres'))!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 999, runAsGroup: 999, fsGroup: 999 });
    const server = pod.containers.find((c: any) => c.name === 'postgres');
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(server[probe].exec.command.join(' ')).toContain('pg_isready');
    expect(server.resources.limits).toEqual({ cpu: '500m', memory: '512Mi' });
    expect(server.env).toContainEqual({ name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' });
  });

  it('takes its credentials from the sealed database Secret', () => {
    const server = podSpecOf(object(staging, 'StatefulSet', 'postgres'))!.containers.find((c: any) => c.name === 'postgres');
    const env = Object.fromEntries(server.env.map((e: any) => [e.name, e.valueFrom ?? e.value]));
    expect(env.POSTGRES_USER).toEqual({ secretKeyRef: { name: 'gravl-db-credentials', key: 'username' } });
    expect(env.POSTGRES_PASSWORD).toEqual({ secretKeyRef: { name: 'gravl-db-credentials', key: 'password' } });
    expect(objects(staging, 'SealedSecret', 'gravl-db-credentials')).toHaveLength(1);
  });

  it('exports metrics from a postgres_exporter sidecar on its own port 9187', () => {
    const exporter = podSpecOf(object(staging, 'StatefulSet', 'postgres'))!.containers.find((c: any) => c.name === 'exporter');
    expect(exporter.ports).toEqual([{ name: 'metrics', containerPort: 9187, protocol: 'TCP' }]);
    expect(exporter.image).toMatch(/postgres-exporter:v\d/);
    expect(exporter.securityContext.runAsUser).toBe(65534);
    expect((object(staging, 'Service', 'postgres').spec as any).ports).toContainEqual({ name: 'metrics', port: 9187, targetPort: 'metrics', protocol: 'TCP' });
  });

  it('pins the postgres image, by digest in production', () => {
    const image = (env: typeof staging) => podSpecOf(object(env, 'StatefulSet', 'postgres'))!.containers[0].image;
    expect(image(staging)).toMatch(/^postgres:16\.\d+/);
    expect(image(production)).toMatch(/^postgres:16\.\d+.*@sha256:[0-9a-f]{64}$/);
  });
});
