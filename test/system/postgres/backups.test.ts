import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { POSTGRES_SCRIPTS } from '../../../lib/system/postgres/scripts';
import { committedText, edit, environment, object, objects, podSpecOf, renderTexts } from '../../support/render';

describe('backups', () => {
  const staging = environment('staging');
  const cronJob = (name: string) => object(staging, 'CronJob', name);

  it('runs CronJob postgres-backup nightly, never overlapping, with a starting deadline, history limits, a job deadline and backoff', () => {
    const spec = cronJob('postgres-backup').spec as any;
    expect(spec).toMatchObject({ schedule: '0 2 * * *', timeZone: 'Etc/UTC', concurrencyPolicy: 'Forbid', startingDeadlineSeconds: 600, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 3 });
    expect(spec.jobTemplate.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 3600 });
  });

  it('runs the very scripts the tests run against PostgreSQL, from ConfigMap postgres-scripts, with pg_dump of the server\'s version', () => {
    const { 'roles.sh': _roles, ...shipped } = POSTGRES_SCRIPTS;
    expect((object(staging, 'ConfigMap', 'postgres-scripts') as any).data).toEqual(shipped);
    const pod = podSpecOf(cronJob('postgres-backup'))!;
    const [container] = pod.containers;
    expect(container.command).toEqual(['sh', '/scripts/backup.sh']);
    expect(container.image).toBe(podSpecOf(object(staging, 'StatefulSet', 'postgres'))!.containers[0].image);
    expect(container.env).toContainEqual({ name: 'BACKUP_RETAIN', value: '7' });
    expect(pod.volumes).toContainEqual({ name: 'backups', persistentVolumeClaim: { claimName: 'postgres-backups' } });
  });

  it('dumps and drills as the backup role, restores as the owner role, and never reads the superuser password', () => {
    const user = (o: any) => podSpecOf(o)!.containers[0].env.find((e: any) => e.name === 'PGUSER').value;
    expect(user(cronJob('postgres-backup'))).toBe('gravl_backup');
    expect(user(cronJob('postgres-restore-drill'))).toBe('gravl_backup');
    expect(user(staging.manualObjects.find((o) => o.metadata.name === 'postgres-restore' && o.kind === 'Job'))).toBe('gravl_owner');
    for (const o of [cronJob('postgres-backup'), cronJob('postgres-restore-drill')]) expect(JSON.stringify(o)).not.toContain('gravl-db-credentials');
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
    expect(pod.containers[0].env).toContainEqual({ name: 'BACKUP_RETAIN', value: '7' });
    const policy = object(env!, 'NetworkPolicy', 'postgres-backup').spec as any;
    expect(policy.egress.some((r: any) => r.to[0].ipBlock?.cidr === '0.0.0.0/0' && r.ports[0].port === 443)).toBe(true);
  });

  it('drills the newest off-site copy where the file configures object storage: fetched and verified first, then restored', () => {
    const production = environment('production');
    const drill = object(production, 'CronJob', 'postgres-restore-drill');
    expect(drill.metadata.labels!['gravl.app/drill-copy']).toBe('off-site');
    const pod = podSpecOf(drill)!;
    expect(pod.initContainers[0]).toMatchObject({ name: 'fetch', command: ['sh', '/scripts/fetch-offsite.sh'] });
    expect(pod.initContainers[0].env).toContainEqual({ name: 'BACKUP_S3_URI', value: 's3://gravl-backups-prod/postgres' });
    expect(pod.initContainers[0].env).toContainEqual({ name: 'BACKUP_DIR', value: '/offsite' });
    const [restore] = pod.containers;
    expect(restore.command).toEqual(['sh', '/scripts/restore-drill.sh']);
    expect(restore.env).toContainEqual({ name: 'BACKUP_DIR', value: '/offsite' });
    expect(restore.env).toContainEqual({ name: 'DRILL_COPY', value: 'off-site copy s3://gravl-backups-prod/postgres' });
    // The volume copy is not what it proves: the claim is not even mounted.
    expect(JSON.stringify(pod.volumes)).not.toContain('postgres-backups');
    expect(cronJob('postgres-restore-drill').metadata.labels!['gravl.app/drill-copy']).toBe('volume');
  });

  it('renders, for manual use only, a restore of the newest off-site copy as the owner role where there is one', () => {
    const production = environment('production');
    const job = production.manualObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'postgres-restore-offsite')!;
    expect(objects(production, 'Job', 'postgres-restore-offsite')).toHaveLength(0);
    const pod = podSpecOf(job)!;
    expect(pod.initContainers[0]).toMatchObject({ name: 'fetch', command: ['sh', '/scripts/fetch-offsite.sh'] });
    // The dump to fetch: the newest unless the runbook's engineer names one.
    expect(pod.initContainers[0].env).toContainEqual({ name: 'BACKUP_FILE', value: '' });
    const drill = podSpecOf(objects(production, 'CronJob', 'postgres-restore-drill')[0]!)!;
    expect(drill.initContainers[0].env.map((e: { name: string }) => e.name)).not.toContain('BACKUP_FILE');
    expect(pod.containers[0].command).toEqual(['sh', '/scripts/restore.sh']);
    expect(pod.containers[0].env).toContainEqual({ name: 'BACKUP_DIR', value: '/offsite' });
    expect(pod.containers[0].env).toContainEqual({ name: 'PGUSER', value: 'gravl_owner' });
    expect(pod.containers[0].env).toContainEqual({ name: 'CONFIRM_RESTORE', value: 'yes' });
    expect(staging.manualObjects.some((o) => o.metadata.name === 'postgres-restore-offsite')).toBe(false);
    // A file of its own: applying the restore of the volume copy never starts this one too.
    const file = production.files.find((f) => f.name === 'manual/postgres-restore-offsite.k8s.yaml')!;
    expect(file.content).toContain('name: postgres-restore-offsite');
    expect(production.files.find((f) => f.name === 'manual/postgres-restore.k8s.yaml')!.content).not.toContain('postgres-restore-offsite');
  });
});
