/**
 * Backups of the database, proven by restoring them:
 * - CronJob `postgres-backup` runs backup.sh (pg_dump, verified, checksummed, renamed only when
 *   complete, retention by count) onto PVC `postgres-backups` and, where configured, copies each dump
 *   to object storage with upload.sh;
 * - CronJob `postgres-restore-drill` restores the newest dump into a throwaway database every week
 *   and checks it: where object storage is configured, the newest off-site copy (fetched and
 *   verified by fetch-offsite.sh first), the one that survives the loss of the cluster; otherwise
 *   the copy on the volume. Its label `gravl.app/drill-copy` and its alerts say which;
 * - Job `postgres-restore` (rendered for manual use, never applied by a sync) restores a dump into
 *   the live database, see docs/database.md's runbook.
 * The scripts are the files in ./scripts, shipped in ConfigMap `postgres-scripts` and tested
 * against a real PostgreSQL server and a real S3 API. The dump and the drill connect as the backup
 * role, the manual restore as the owner role (./role-names), never as the superuser.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../../model/schema';
import { BatchWorkload } from '../../kit/batch';
import { workloadLabels } from '../../kit/labels';
import { DRILL_COPY_LABEL, POSTGRES_BACKUP_CRONJOB, POSTGRES_RESTORE_DRILL_CRONJOB } from '../names';
import { KEEP, KEEP_ANNOTATION } from '../../kit/namespace';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { internet } from '../../kit/network/peers';
import { claimSpec, resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import type { Secrets } from '../../kit/secrets';
import { POSTGRES_UID, type PostgresServer } from './server';
import type { DatabaseRole } from '../../contract';
import { POSTGRES_SCRIPTS } from './scripts';
import { provided } from '../../model/credentials';

/** The claim the dumps are written to. */
export const BACKUP_CLAIM = 'postgres-backups';

/** Which copy the restore drill proves, as its logs and alerts name it. */
export function drillCopy(storage?: { readonly bucket: string; readonly prefix: string }): string {
  return storage ? `off-site copy s3://${storage.bucket}/${storage.prefix}` : `volume copy (claim ${BACKUP_CLAIM})`;
}


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
  readonly database: PostgresServer;
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
  /**
   * Where the manual restore of the off-site copy goes: a chart of its own, so that applying one
   * restore never starts the other.
   * @default manualScope
   */
  readonly offsiteRestoreScope?: Construct;
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
  /** Job `postgres-restore-offsite` (manual): restores the newest off-site copy; only with object storage. */
  readonly restoreOffsite?: BatchWorkload;

  constructor(scope: Construct, id: string, props: BackupsProps) {
    super(scope, id);
    const db = props.database;
    const labels = workloadLabels(POSTGRES_BACKUP_CRONJOB, 'backup');

    // Every script but roles.sh, which the role Job ships itself.
    this.scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: 'postgres-scripts', namespace: props.namespace, labels },
      data: Object.fromEntries(Object.entries(POSTGRES_SCRIPTS).filter(([name]) => name !== 'roles.sh')),
    });
    this.volume = new k8s.KubePersistentVolumeClaim(this, 'volume', {
      metadata: { name: BACKUP_CLAIM, namespace: props.namespace, labels, annotations: { [KEEP_ANNOTATION]: KEEP } },
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
    const script = (name: string, file: string, consumer: string, role: DatabaseRole, env: k8s.EnvVar[], volumeMounts: k8s.VolumeMount[], backupDir = MOUNT_BACKUPS): k8s.Container => ({
      name,
      image: db.image,
      command: ['sh', `${MOUNT_SCRIPTS}/${file}`],
      env: [...db.clientEnv(consumer, role), { name: 'BACKUP_DIR', value: backupDir }, ...env],
      resources: resourceRequirements(props.resources),
      volumeMounts,
    });
    const common = { namespace: props.namespace, network: props.network, user: POSTGRES_UID, fsGroup: POSTGRES_UID };

    const retain = { name: 'BACKUP_RETAIN', value: String(props.retain) };
    const dump = script('backup', 'backup.sh', `CronJob ${POSTGRES_BACKUP_CRONJOB}`, 'backup', [retain], mounts(false));
    const storage = props.objectStorage;
    const upload = storage
      ? this.s3Container('upload', 'upload.sh', storage, props, `CronJob ${POSTGRES_BACKUP_CRONJOB}`, [{ name: 'BACKUP_DIR', value: MOUNT_BACKUPS }, retain], mounts(true))
      : undefined;
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

    // The drill proves the off-site copy where there is one: fetched and verified into a scratch
    // folder first, then restored from there; otherwise the copy on the volume.
    const drillConsumer = `CronJob ${POSTGRES_RESTORE_DRILL_CRONJOB}`;
    const offsiteDir = { name: 'offsite', mountPath: '/offsite' };
    const drillEnv = [{ name: 'DRILL_COPY', value: drillCopy(storage) }];
    const scriptsMount = { name: 'scripts', mountPath: MOUNT_SCRIPTS, readOnly: true };
    /** The pod of a job that fetches and verifies the newest off-site copy into a scratch folder, then runs `file` on it. */
    const fromOffsite = (storage: ObjectStorage, consumer: string, name: string, file: string, role: DatabaseRole, env: readonly k8s.EnvVar[], fetchEnv: readonly k8s.EnvVar[] = []) => ({
      initContainers: [this.s3Container('fetch', 'fetch-offsite.sh', storage, props, consumer, [{ name: 'BACKUP_DIR', value: offsiteDir.mountPath }, ...fetchEnv], [scriptsMount, offsiteDir, ...scratchMounts(SCRATCH)])],
      containers: [script(name, file, consumer, role, [...env], [scriptsMount, { ...offsiteDir, readOnly: true }, ...scratchMounts(SCRATCH)], offsiteDir.mountPath)],
      volumes: [
        { name: 'scripts', configMap: { name: this.scripts.name, defaultMode: 0o444 } },
        // Room for one dump: the size of the backup volume.
        { name: offsiteDir.name, emptyDir: { sizeLimit: k8s.Quantity.fromString(props.storage.size) } },
        ...scratchVolumes(SCRATCH),
      ],
    });
    this.restoreDrill = new BatchWorkload(this, 'restore-drill', {
      ...common,
      name: POSTGRES_RESTORE_DRILL_CRONJOB,
      component: 'backup',
      schedule: props.restoreDrillSchedule,
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      ...(storage
        ? fromOffsite(storage, drillConsumer, 'restore-drill', 'restore-drill.sh', 'backup', drillEnv)
        : {
            containers: [script('restore-drill', 'restore-drill.sh', drillConsumer, 'backup', drillEnv, mounts(true))],
            volumes: volumes(true),
          }),
    });
    this.restoreDrill.cronJob!.metadata.addLabel(DRILL_COPY_LABEL, storage ? 'off-site' : 'volume');
    db.allowClient(this.restoreDrill);
    if (storage) this.restoreDrill.allowTo(internet('object storage over HTTPS'), 443);

    this.restore = new BatchWorkload(props.manualScope, 'restore', {
      ...common,
      name: 'postgres-restore',
      component: 'backup',
      backoffLimit: 0,
      activeDeadlineSeconds: 3600,
      containers: [
        // The owner role: the restored objects replace the ones it owns.
        script('restore', 'restore.sh', 'Job postgres-restore', 'owner', [
          // Applying this Job is the confirmation; BACKUP_FILE empty restores the newest dump.
          { name: 'CONFIRM_RESTORE', value: 'yes' },
          { name: 'BACKUP_FILE', value: '' },
        ], mounts(true)),
      ],
      volumes: volumes(true),
    });
    db.allowClient(this.restore);

    // After the cluster (and the backup volume with it) is lost: the same restore, of the newest
    // off-site copy (or the one BACKUP_FILE names), fetched and verified first.
    if (storage) {
      this.restoreOffsite = new BatchWorkload(props.offsiteRestoreScope ?? props.manualScope, 'restore-offsite', {
        ...common,
        name: 'postgres-restore-offsite',
        component: 'backup',
        backoffLimit: 0,
        activeDeadlineSeconds: 3600,
        // BACKUP_FILE empty fetches the newest off-site dump; a name fetches that one (after a bad night).
        ...fromOffsite(storage, 'Job postgres-restore-offsite', 'restore', 'restore.sh', 'owner', [{ name: 'CONFIRM_RESTORE', value: 'yes' }], [{ name: 'BACKUP_FILE', value: '' }]),
      });
      db.allowClient(this.restoreOffsite);
      this.restoreOffsite.allowTo(internet('object storage over HTTPS'), 443);
    }
  }

  /** A container of the AWS CLI image running one of the object-storage scripts. */
  private s3Container(name: string, file: string, storage: ObjectStorage, props: BackupsProps, consumer: string, env: k8s.EnvVar[], volumeMounts: k8s.VolumeMount[]): k8s.Container {
    const credentials = props.secrets.require({
      namespace: props.namespace,
      name: storage.credentialsSecret,
      keys: { 'access-key-id': provided('access-key-id'), 'secret-access-key': provided('secret-access-key') },
      consumer,
    });
    return {
      name,
      image: storage.image,
      command: ['sh', `${MOUNT_SCRIPTS}/${file}`],
      env: [
        { name: 'PGDATABASE', value: props.database.database },
        ...env,
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
