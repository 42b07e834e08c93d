/**
 * PostgreSQL: StatefulSet `postgres` (one replica, pod `postgres-0`) behind headless Service
 * `postgres`, data on a volumeClaimTemplate of the class and size the environment declares,
 * credentials from the sealed database Secret, and a postgres_exporter sidecar for metrics. The
 * official image runs as its `postgres` user (999) here, never as root, on a read-only root
 * filesystem: only the data volume, the socket directory, /tmp and /dev/shm are writable.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../../model/schema';
import { selectorLabels } from '../../kit/labels';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { claimSpec, httpServerProbes, resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import type { Secrets } from '../../kit/secrets';
import type { Workload } from '../../kit/workload';
import { POSTGRES, SCRAPE_JOBS } from '../names';
import type { ScrapeTargets } from '../../kit/scrape';
import { GENERATED } from '../../model/credentials';
import type { DatabaseRole } from '../../contract';

/** The `postgres` user of the official image. */
export const POSTGRES_UID = 999;

export interface PostgresProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  /** Where it declares its exporter's port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly secrets: Secrets;
  readonly image: string;
  readonly resources: Resources;
  /** The data volume. */
  readonly storage: { readonly storageClassName: string; readonly size: string };
  /** Database the application uses. */
  readonly database: string;
  /**
   * Secret with keys `username` and `password`: the superuser the official image creates on first
   * start (`POSTGRES_USER`). Only the server and the role Job read it; every other workload
   * connects as one of the roles of ./role-names (Secrets `gravl-db-<role>`, key `password`).
   */
  readonly credentialsSecret: string;
  readonly exporter: { readonly image: string; readonly resources: Resources };
}


/** The login name of a role: `<database>_<role>` (gravl_app). */
export function databaseRoleName(database: string, role: DatabaseRole): string {
  return `${database}_${role}`;
}

/** The Secret holding a role's password (key `password`). */
export function databaseRoleSecret(role: DatabaseRole): string {
  return `gravl-db-${role}`;
}

/** Pod annotation of a database client: a hash of its role's sealed password, so a rotation rolls the pods. */
export const DATABASE_PASSWORD_ANNOTATION = 'gravl.app/database-password';
export class PostgresServer extends PodWorkload {
  /** The database the application uses. */
  readonly database: string;
  /** The server's image: clients such as pg_dump use the same one, so their version matches. */
  readonly image: string;
  private readonly secrets: Secrets;
  private readonly credentialsSecret: string;

  constructor(scope: Construct, id: string, props: PostgresProps) {
    const credentials = props.secrets.require({ namespace: props.namespace, name: props.credentialsSecret, keys: { username: GENERATED, password: GENERATED }, consumer: 'StatefulSet postgres' });
    const fromSecret = (key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: credentials, key } });
    const monitoring = props.secrets.require({ namespace: props.namespace, name: databaseRoleSecret('monitoring'), keys: { password: GENERATED }, consumer: 'StatefulSet postgres (exporter)' });
    const ready = ['sh', '-c', `exec pg_isready --host=127.0.0.1 --port=${POSTGRES.port.port} --username="$POSTGRES_USER" --dbname="$POSTGRES_DB"`];
    const execProbe = (periodSeconds: number, failureThreshold: number): k8s.Probe => ({ exec: { command: ready }, periodSeconds, failureThreshold, timeoutSeconds: 5 });
    const scratch = [
      { name: 'run', mountPath: '/var/run/postgresql', sizeLimit: '16Mi' },
      { name: 'tmp', mountPath: '/tmp', sizeLimit: '256Mi' },
    ];
    const ports = [
      { name: POSTGRES.port.name, containerPort: POSTGRES.port.port },
      { name: POSTGRES.metricsPort.name, containerPort: POSTGRES.metricsPort.port },
    ];
    super(scope, id, {
      kind: 'StatefulSet',
      priorityClass: 'critical',
      disruptionDecision: 'One replica owning a ReadWriteOnce volume: a PodDisruptionBudget would make its node undrainable. A drain stops the database while it restarts on the volume (PostgresDown fires if it takes over 2 minutes); drain its node in a maintenance window.',
      namespace: props.namespace,
      name: POSTGRES.service,
      component: 'database',
      network: props.network,
      user: POSTGRES_UID,
      fsGroup: POSTGRES_UID,
      // Headless: the name resolves to postgres-0 itself, as the StatefulSet's governing Service.
      servicePorts: ports,
      headless: true,
      containers: [
        {
          name: 'postgres',
          image: props.image,
          ports: [{ name: POSTGRES.port.name, containerPort: POSTGRES.port.port, protocol: 'TCP' }],
          env: [
            { name: 'POSTGRES_DB', value: props.database },
            { name: 'POSTGRES_USER', valueFrom: fromSecret('username') },
            { name: 'POSTGRES_PASSWORD', valueFrom: fromSecret('password') },
            // A subdirectory: the volume's root may hold lost+found, which initdb refuses.
            { name: 'PGDATA', value: '/var/lib/postgresql/data/pgdata' },
          ],
          resources: resourceRequirements(props.resources),
          // initdb on first start takes a while on slow disks: five minutes before liveness counts.
          startupProbe: execProbe(5, 60),
          readinessProbe: execProbe(10, 3),
          livenessProbe: execProbe(10, 6),
          volumeMounts: [
            { name: 'data', mountPath: '/var/lib/postgresql/data' },
            { name: 'shm', mountPath: '/dev/shm' },
            ...scratchMounts(scratch),
          ],
        },
        {
          name: 'exporter',
          image: props.exporter.image,
          ports: [{ name: POSTGRES.metricsPort.name, containerPort: POSTGRES.metricsPort.port, protocol: 'TCP' }],
          env: [
            { name: 'DATA_SOURCE_URI', value: `127.0.0.1:${POSTGRES.port.port}/${props.database}?sslmode=disable` },
            // The monitoring role (pg_monitor), never the superuser.
            { name: 'DATA_SOURCE_USER', value: databaseRoleName(props.database, 'monitoring') },
            { name: 'DATA_SOURCE_PASS', valueFrom: { secretKeyRef: { name: monitoring, key: 'password' } } },
          ],
          resources: resourceRequirements(props.exporter.resources),
          securityContext: { runAsUser: 65534, runAsGroup: 65534 },
          ...httpServerProbes('/', 'metrics', { startupSeconds: 60 }),
        },
      ],
      volumes: [
        // PostgreSQL's shared memory: the container default of 64Mi is too small for parallel queries.
        { name: 'shm', emptyDir: { medium: 'Memory', sizeLimit: k8s.Quantity.fromString('256Mi') } },
        ...scratchVolumes(scratch),
      ],
      volumeClaimTemplates: [
        {
          metadata: { name: 'data', labels: selectorLabels(POSTGRES.service) },
          spec: claimSpec(props.storage),
        },
      ],
      podSpec: { terminationGracePeriodSeconds: 60 },
    });
    this.database = props.database;
    this.image = props.image;
    this.secrets = props.secrets;
    this.credentialsSecret = props.credentialsSecret;
    props.metrics.scrape({ job: SCRAPE_JOBS.postgresExporter, workload: this, port: POSTGRES.metricsPort.name });
  }

  /**
   * What a client needs to connect as `role`, as libpq variables (node-postgres and the PostgreSQL
   * tools read them); the role's password is declared as read by `consumer` ("Deployment
   * backend"). The client also needs `allowClient` for its network flow.
   */
  clientEnv(consumer: string, role: DatabaseRole): k8s.EnvVar[] {
    const secret = this.secrets.require({ namespace: this.namespace, name: databaseRoleSecret(role), keys: { password: GENERATED }, consumer });
    return [
      { name: 'PGHOST', value: this.host },
      { name: 'PGPORT', value: String(POSTGRES.port.port) },
      { name: 'PGDATABASE', value: this.database },
      { name: 'PGUSER', value: databaseRoleName(this.database, role) },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: secret, key: 'password' } } },
    ];
  }

  /**
   * A hash of the sealed password of `role` (empty where it is not sealed in the repository): a
   * client carrying it in a pod annotation rolls when the password is rotated, after the role Job
   * has set the new one (a later sync wave).
   */
  passwordFingerprint(role: DatabaseRole): string {
    return this.secrets.fingerprint(this.namespace, databaseRoleSecret(role), ['password']);
  }

  /**
   * The superuser's connection, for the role Job alone (readiness fails any other workload that
   * reads the superuser's Secret).
   */
  superuserEnv(consumer: string): k8s.EnvVar[] {
    const credentials = this.secrets.require({ namespace: this.namespace, name: this.credentialsSecret, keys: { username: GENERATED, password: GENERATED }, consumer });
    return [
      { name: 'PGHOST', value: this.host },
      { name: 'PGPORT', value: String(POSTGRES.port.port) },
      { name: 'PGDATABASE', value: this.database },
      { name: 'PGUSER', valueFrom: { secretKeyRef: { name: credentials, key: 'username' } } },
      { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: credentials, key: 'password' } } },
    ];
  }

  /** Lets a client workload connect to the server. */
  allowClient(client: Workload): void {
    client.allowTo(this, POSTGRES.port.name);
  }
}
