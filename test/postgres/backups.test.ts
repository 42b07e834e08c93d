import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { POSTGRES_SCRIPTS } from '../../lib/postgres/scripts';
import { committedText, edit, environment, object, objects, podSpecOf, renderTexts } from '../support/render';

describe('backups', () => {
  const staging = environment('staging');
  const cronJob = (name: string) => object(staging, 'CronJob', name);

  it('runs CronJob postgres-backup nightly, never overlapping, with a starting deadline, history limits, a job deadline and backoff', () => {
    const spec = cronJob('postgres-backup').spec as any;
    expect(spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3600 });
  });

  it('runs the very scripts the tests run against PostgreSQL, from ConfigMap postgres-scripts, with pg_dump of the server\'s version', () => {
    expect((object(staging, 'ConfigMap', 'postgres-scripts') as any).data).toEqual(POSTGRES_SCRIPTS);
    const pod = podSpecOf(cronJob('postgres-backup'))!;
    const [container] = pod.containers;
    expect(container.command).toEqual(['sh', '/scripts/backup.sh']);
    expect(container.image).toBe(podSpecOf(object(staging, 'StatefulSet', 'postgres'))!.containers[0].image);
    expect(container.env).toContainEqual({ name: 'BACKUP_RETAIN', value: '7' });
    expect(pod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'postgres-backups' } });
  });

  it('writes to its own volume, on a class and size from the environment file', () => {
    expect(object(staging, 'PersistentVolumeClaim', 'postgres-backups').spec).toMatchObject({ storageClassName: 'local-path', resources: { requests: { storage: '5Gi' } } });
    expect(object(environment('production'), 'PersistentVolumeClaim', 'postgres-backups').spec).toMatchObject({ storageClassName: 'gp3', resources: { requests: { storage: '60Gi' } } });
  });

  it('drills a restore of the newest dump every week, reading the dumps without writing them', () => {
    const spec = cronJob('postgres-restore-drill').spec as any;
    expect(spec).toMatchObject({ schedule: '0 4 * * 0', concurrencyPolicy: 'Forbid' });
    const pod = podSpecOf(cronJob('postgres-restore-drill'))!;
    expect(pod.containers[0].command).toEqual(['sh', '/scripts/restore-drill.sh']);
    expect(pod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'postgres-backups', readOnly: true } });
  });

  it('renders the restore Job for manual use only: in manual/, outside the kustomization', () => {
    const restore = staging.manualObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'postgres-restore');
    expect(restore).toBeDefined();
    expect(podSpecOf(restore!)!.containers[0].command).toEqual(['sh', '/scripts/restore.sh']);
    expect(objects(staging, 'Job', 'postgres-restore')).toHaveLength(0);
    expect(staging.files.map((f) => f.name)).toContain('manual/postgres-restore.k8s.yaml');
    const kustomization = parse(staging.files.find((f) => f.name === 'kustomization.yaml')!.content);
    expect(kustomization.resources.some((r: string) => r.startsWith('manual'))).toBe(false);
  });

  it('also copies every dump to object storage where the file configures it, with sealed credentials and HTTPS egress', () => {
    const text = edit(committedText('staging'), (doc) =>
      doc.setIn(['postgres', 'backup', 'objectStorage'], doc.createNode({ bucket: 'gravl-backups', region: 'eu-central-1', image: 'amazon/aws-cli:2.17.0' })),
    );
    // The access keys are provided credentials: until their owner gives them, synth renders them as missing.
    const [sealedEnv] = renderTexts({ staging: text });
    const sealed = object(sealedEnv!, 'SealedSecret', 'postgres-backup-s3');
    expect(sealed.metadata.annotations).toMatchObject({
      'credential.gravl.app/access-key-id': 'provided/access-key-id',
      'credential.gravl.app/secret-access-key': 'provided/secret-access-key',
      'origin.gravl.app/access-key-id': 'missing',
      'origin.gravl.app/secret-access-key': 'missing',
    });
    const external = edit(text, (doc) => doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'vault' }, refreshInterval: '1h', keyPrefix: 'gravl' } })));
    const [env] = renderTexts({ staging: external });
    const pod = podSpecOf(object(env!, 'CronJob', 'postgres-backup'))!;
    expect(pod.initContainers[0].command).toEqual(['sh', '/scripts/backup.sh']);
    expect(pod.containers[0]).toMatchObject({ name: 'upload', image: 'amazon/aws-cli:2.17.0', command: ['sh', '/scripts/upload.sh'] });
    expect(pod.containers[0].env).toContainEqual({ name: 'BACKUP_S3_URI', value: 's3://gravl-backups/postgres' });
    const policy = object(env!, 'NetworkPolicy', 'postgres-backup').spec as any;
    expect(policy.egress.some((r: any) => r.to[0].ipBlock?.cidr === '0.0.0.0/0' && r.ports[0].port === 443)).toBe(true);
  });
});
