/**
 * Postgres: the database and everything that keeps it: the server (StatefulSet `postgres` with its
 * exporter), the role Job that gives each workload the least role it needs, the migrations Job of
 * each release, and the backups (daily dump, weekly restore drill, off-site copy, manual restores).
 * Clients wire to `server` (`clientEnv`, `allowClient`); `drillCopy` names which copy the restore
 * drill proves, for the alerts that watch it.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { type EnvironmentFile, type Resources } from '../../model/schema';
import { BACKEND_DEFAULTS, BACKUP_DEFAULTS, DATABASE_DEFAULTS } from '../../model/defaults';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ScrapeTargets } from '../../kit/scrape';
import type { Secrets } from '../../kit/secrets';
import { Backups, drillCopy, type ObjectStorage } from './backups';
import { Migrations } from './migrations';
import { DatabaseRoles } from './roles';
import { PostgresServer } from './server';

export type { PostgresServer };
export { DATABASE_PASSWORD_ANNOTATION } from './server';

export interface PostgresProps {
  /**
   * Where each part is applied: the server and its roles, then the migrations (before the release
   * that needs them), the backups last (their claim binds only when the first backup runs), and
   * the manual restores, each in a chart of its own.
   */
  readonly charts: { readonly server: Chart; readonly migrations: Chart; readonly backups: Chart; readonly restore: Chart; readonly offsiteRestore: Chart };
  /** The app namespace. */
  readonly namespace: string;
  /** Where its workloads declare their flows. */
  readonly network: NetworkPolicies;
  /** Where its workloads declare the secrets they read. */
  readonly secrets: Secrets;
  /** Where the server declares its exporter for Prometheus. */
  readonly metrics: ScrapeTargets;
  /** The environment's postgres section: server, exporter and backups. */
  readonly spec: EnvironmentFile['postgres'];
  /** The database and the Secret of its superuser. @default database gravl, Secret gravl-db-credentials */
  readonly database: EnvironmentFile['database'];
  /** The backend's image and user, which hold and run the migrations. */
  readonly migrations: {
    readonly image: string;
    /** The image's command that applies the migrations. @default ['npm', 'run', 'migrate'] */
    readonly command?: readonly string[];
    readonly resources: Resources;
    readonly user: number;
  };
}

export class Postgres extends Construct {
  readonly server: PostgresServer;
  readonly backups: Backups;
  /** Which backup copy the weekly restore drill proves, as its alerts name it. */
  readonly drillCopy: string;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    super(scope, id);
    const spec = props.spec;
    const backup = spec.backup;
    const objectStorage: ObjectStorage | undefined = backup.objectStorage
      ? { ...backup.objectStorage, prefix: backup.objectStorage.prefix ?? BACKUP_DEFAULTS.objectStorage.prefix, credentialsSecret: backup.objectStorage.credentialsSecret ?? BACKUP_DEFAULTS.objectStorage.credentialsSecret }
      : undefined;
    const common = { namespace: props.namespace, network: props.network };

    this.server = new PostgresServer(props.charts.server, 'postgres', {
      ...common,
      secrets: props.secrets,
      metrics: props.metrics,
      image: spec.image,
      resources: spec.resources,
      storage: spec.storage,
      database: props.database.name ?? DATABASE_DEFAULTS.name,
      credentialsSecret: props.database.credentialsSecret ?? DATABASE_DEFAULTS.credentialsSecret,
      exporter: spec.exporter,
    });
    // With the server: applied before the migrations' wave.
    new DatabaseRoles(props.charts.server, 'roles', { ...common, secrets: props.secrets, database: this.server });
    new Migrations(props.charts.migrations, 'migrations', {
      ...common,
      database: this.server,
      image: props.migrations.image,
      command: props.migrations.command ?? BACKEND_DEFAULTS.migrationCommand,
      resources: props.migrations.resources,
      user: props.migrations.user,
    });
    this.backups = new Backups(props.charts.backups, 'backups', {
      ...common,
      secrets: props.secrets,
      database: this.server,
      schedule: backup.schedule ?? BACKUP_DEFAULTS.schedule,
      restoreDrillSchedule: backup.restoreDrillSchedule ?? BACKUP_DEFAULTS.restoreDrillSchedule,
      retain: backup.retain ?? BACKUP_DEFAULTS.retain,
      storage: backup.storage,
      resources: backup.resources ?? BACKUP_DEFAULTS.resources,
      objectStorage,
      manualScope: props.charts.restore,
      ...(objectStorage ? { offsiteRestoreScope: props.charts.offsiteRestore } : {}),
    });
    this.drillCopy = drillCopy(objectStorage);
  }
}
