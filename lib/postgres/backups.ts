/**
 * Backups of the database, proven by restoring them:
 * - CronJob `postgres-backup` runs backup.sh (pg_dump, verified, checksummed, renamed only when
 *   complete, retention by count) onto PVC `postgres-backups` and, where configured, copies each dump
 *   to object storage with upload.sh;
 * - CronJob `postgres-restore-drill` restores the newest dump into a throwaway database every week
 *   and checks it;
 * - Job `postgres-restore` (rendered for manual use, never applied by a sync) restores a dump into
 *   the live database, see the README's runbook.
 * The scripts are the files in ./scripts, shipped in ConfigMap `postgres-scripts` and tested
 * against a real PostgreSQL server.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../config/schema';
import { BatchWorkload } from '../batch';
import { workloadLabels } from '../labels';
import { POSTGRES_BACKUP_CRONJOB, POSTGRES_RESTORE_DRILL_CRONJOB } from '../monitoring/names';
import { KEEP, KEEP_ANNOTATION } from '../namespace';
import type { NetworkPolicies } from '../network/network-policies';
import { internet } from '../network/peers';
import { claimSpec, resourceRequirements, scratchMounts, scratchVolumes } from '../pod';
import type { Secrets } from '../secrets/secrets';
import { POSTGRES_UID, type Postgres } from './postgres';
import { POSTGRES_SCRIPTS } from './scripts';
import { provided } from '../secrets/credentials';

/** Where each dump is also copied. */
export interface ObjectStorage {
  readonly bucket: string;
  readonly prefix: string;
  readonly region: string;
  /** Endpoint URL of an S3-compatible store other than AWS. @default AWS S3 */
  readonly endpoint?: string;
  /** An image with the AWS CLI. */
  readonly image: string;
  /** Secret with keys `access-key-id` and `secret-access-key`. */
  readonly credentialsSecret: string;
}

export interface BackupsProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  readonly database: Postgres;
  /** cron, UTC. */
  readonly schedule: string;
  readonly restoreDrillSchedule: string;
  /** How many good dumps the volume keeps. */
  readonly retain: number;
  /** The backup volume. */
  readonly storage: { readonly storageClassName: string; readonly size: string };
  readonly resources: Resources;
  /** @default dumps stay on the volume only */
  readonly objectStorage?: ObjectStorage;
  /** Where the manual restore Job goes (a chart the kustomization leaves out). */
  readonly manualScope: Construct;
}

const MOUNT_SCRIPTS = '/scripts';
const MOUNT_BACKUPS = '/backups';
const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

export class Backups extends Construct {
  readonly scripts: k8s.KubeConfigMap;
  readonly volume: k8s.KubePersistentVolumeClaim;
  readonly backup: BatchWorkload;
  readonly restoreDrill: BatchWorkload;
  readonly restore: BatchWorkload;

  constructor(scope: Construct, id: string, props: BackupsProps) {
    super(scope, id);
    const db = props.database;
    const labels = workloadLabels(POSTGRES_BACKUP_CRONJOB, 'backup');

    this.scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: 'postgres-scripts', namespace: props.namespace, labels },
      data: { ...POSTGRES_SCRIPTS },
    });
    this.volume = new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: { name: 'postgres-backups', namespace: props.namespace, labels, annotations: { [KEEP_ANNOTATION]: KEEP } },
      spec: claimSpec(props.storage),
    });

    const readOnly = (yes: boolean) => (yes ? { readOnly: true } : {});
    const volumes = (readOnlyBackups: boolean): k8s.Volume[] => [
      { name: 'scripts', configMap: { name: this.scripts.name, defaultMode: 0o444 } },
      { name: 'backups', persistentVolumeClaim: { claimName: this.volume.name, ...readOnly(readOnlyBackups) } },
      ...scratchVolumes(SCRATCH),
    ];
    const mounts = (readOnlyBackups: boolean): k8s.VolumeMount[] => [
      { name: 'scripts', mountPath: MOUNT_SCRIPTS, readOnly: true },
      { name: 'backups', mountPath: MOUNT_BACKUPS, ...readOnly(readOnlyBackups) },
      ...scratchMounts(SCRATCH),
    ];
    /** A container of the server's image (pg_dump matches the server) running one of the scripts. */
    const script = (name: string, file: string, consumer: string, env: k8s.EnvVar[], readOnlyBackups: boolean): k8s.Container => ({
      name,
      image: db.image,
      command: ['sh', `${MOUNT_SCRIPTS}/${file}`],
      env: [...db.clientEnv(consumer), { name: 'BACKUP_DIR', value: MOUNT_BACKUPS }, ...env],
      resources: resourceRequirements(props.resources),
      volumeMounts: mounts(readOnlyBackups),
    });
    const common = { namespace: props.namespace, network: props.network, user: POSTGRES_UID, fsGroup: POSTGRES_UID };

    const dump = script('backup', 'backup.sh', `CronJob ${POSTGRES_BACKUP_CRONJOB}`, [{ name: 'BACKUP_RETAIN', value: String(props.retain) }], false);
    const upload = props.objectStorage ? this.uploadContainer(props.objectStorage, props, mounts(true)) : undefined;
    this.backup = new BatchWorkload(this, 'backup', {
      ...common,
      name: POSTGRES_BACKUP_CRONJOB,
      component: 'backup',
      schedule: props.schedule,
      backoffLimit: 1,
      activeDeadlineSeconds: 3600,
      // With an upload, the dump runs first (init container) and the copy after it.
      ...(upload ? { initContainers: [dump], containers: [upload] } : { containers: [dump] }),
      volumes: volumes(false),
    });
    db.allowClient(this.backup);
    if (props.objectStorage) this.backup.allowTo(internet('object storage over HTTPS'), 443);

    this.restoreDrill = new BatchWorkload(this, 'restore-drill', {
      ...common,
      name: POSTGRES_RESTORE_DRILL_CRONJOB,
      component: 'backup',
      schedule: props.restoreDrillSchedule,
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      containers: [script('restore-drill', 'restore-drill.sh', `CronJob ${POSTGRES_RESTORE_DRILL_CRONJOB}`, [], true)],
      volumes: volumes(true),
    });
    db.allowClient(this.restoreDrill);

    this.restore = new BatchWorkload(props.manualScope, 'restore', {
      ...common,
      name: 'postgres-restore',
      component: 'backup',
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      containers: [
        script('restore', 'restore.sh', 'Job postgres-restore', [
          // Applying this Job is the confirmation; BACKUP_FILE empty restores the newest dump.
          { name: 'CONFIRM_RESTORE', value: 'yes' },
          { name: 'BACKUP_FILE', value: '' },
        ], true),
      ],
      volumes: volumes(true),
    });
    db.allowClient(this.restore);
  }

  private uploadContainer(storage: ObjectStorage, props: BackupsProps, volumeMounts: k8s.VolumeMount[]): k8s.Container {
    const credentials = props.secrets.require({
      namespace: props.namespace,
      name: storage.credentialsSecret,
      keys: { 'access-key-id': provided('access-key-id'), 'secret-access-key': provided('secret-access-key') },
      consumer: `CronJob ${POSTGRES_BACKUP_CRONJOB}`,
    });
    return {
      name: 'upload',
      image: storage.image,
      command: ['sh', `${MOUNT_SCRIPTS}/upload.sh`],
      env: [
        { name: 'PGDATABASE', value: props.database.database },
        { name: 'BACKUP_DIR', value: MOUNT_BACKUPS },
        { name: 'BACKUP_S3_URI', value: `s3://${storage.bucket}/${storage.prefix}` },
        ...(storage.endpoint ? [{ name: 'BACKUP_S3_ENDPOINT', value: storage.endpoint }] : []),
        { name: 'AWS_DEFAULT_REGION', value: storage.region },
        { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: credentials, key: 'access-key-id' } } },
        { name: 'AWS_SECRET_ACCESS_KEY', valueFrom: { secretKeyRef: { name: credentials, key: 'secret-access-key' } } },
        // The CLI keeps its cache under HOME; the root filesystem is read-only.
        { name: 'HOME', value: '/tmp' },
      ],
      resources: resourceRequirements(props.resources),
      volumeMounts,
    };
  }
}
