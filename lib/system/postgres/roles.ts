/**
 * The role Job: runs roles.sh as the superuser to create the database's least-privilege roles and
 * keep them exactly as declared (attributes, memberships, grants, passwords). It is the only
 * workload that reads the superuser's Secret.
 *
 * It runs on every sync and before the migrations: under Argo CD it is a Sync hook in the
 * database's wave (the migrations come in the next wave), deleted and created again on every
 * sync; under `kubectl apply` it deletes itself ten minutes after it finished, so the next apply
 * creates it again. Either way each sync sets the passwords the Secrets hold then: a rotated
 * sealed password needs no manual step. roles.sh waits for the server to accept connections
 * first, and the migrations wait until their role logs in (see ./migrations.ts).
 */
import { Construct } from 'constructs';
import { JsonPatch } from 'cdk8s';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../../model/schema';
import { BatchWorkload } from '../../kit/batch';
import { workloadLabels } from '../../kit/labels';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { resourceRequirements } from '../../kit/pod';
import { GENERATED } from '../../model/credentials';
import type { Secrets } from '../../kit/secrets';
import { databaseRoleName, databaseRoleSecret, POSTGRES_UID, type PostgresServer } from './server';
import { DATABASE_ROLES, DATABASE_ROLES_COMPONENT } from '../../contract';
import { POSTGRES_SCRIPTS } from './scripts';

export interface DatabaseRolesProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  readonly database: PostgresServer;
  /** @default 50m/64Mi requested, 500m/128Mi limits */
  readonly resources?: Resources;
}

const NAME = 'postgres-roles';
const FILES = ['roles.sh', 'common.sh'] as const;
const MOUNT = '/scripts';
const TTL_SECONDS = 600;

export class DatabaseRoles extends Construct {
  readonly job: BatchWorkload;
  readonly scripts: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: DatabaseRolesProps) {
    super(scope, id);
    const db = props.database;
    const resources = props.resources ?? { requests: { cpu: '50m', memory: '64Mi' }, limits: { cpu: '500m', memory: '128Mi' } };
    const consumer = `Job ${NAME}`;
    const data = Object.fromEntries(FILES.map((f) => [f, POSTGRES_SCRIPTS[f]!]));
    this.scripts = new k8s.KubeConfigMap(this, 'scripts', {
      metadata: { name: NAME, namespace: props.namespace, labels: workloadLabels(NAME, DATABASE_ROLES_COMPONENT) },
      data,
    });

    const env: k8s.EnvVar[] = [...db.superuserEnv(consumer)];
    for (const role of DATABASE_ROLES) {
      const secret = props.secrets.require({ namespace: props.namespace, name: databaseRoleSecret(role), keys: { password: GENERATED }, consumer });
      env.push(
        { name: `ROLE_${role.toUpperCase()}`, value: databaseRoleName(db.database, role) },
        { name: `ROLE_${role.toUpperCase()}_PASSWORD`, valueFrom: { secretKeyRef: { name: secret, key: 'password' } } },
      );
    }
    this.job = new BatchWorkload(this, 'job', {
      namespace: props.namespace,
      name: NAME,
      component: DATABASE_ROLES_COMPONENT,
      network: props.network,
      user: POSTGRES_UID,
      backoffLimit: 3,
      activeDeadlineSeconds: 900,
      containers: [
        {
          name: 'roles',
          // The server's image: psql and pg_isready of the server's version.
          image: db.image,
          command: ['sh', `${MOUNT}/roles.sh`],
          env,
          resources: resourceRequirements(resources),
          volumeMounts: [{ name: 'scripts', mountPath: MOUNT, readOnly: true }],
        },
      ],
      volumes: [{ name: 'scripts', configMap: { name: this.scripts.name, defaultMode: 0o444 } }],
    });
    // Argo CD: run on every sync, in this chart's wave (before the migrations' wave); the Job of
    // the previous sync is deleted first, a successful one afterwards.
    this.job.job!.metadata.addAnnotation('argocd.argoproj.io/hook', 'Sync');
    this.job.job!.metadata.addAnnotation('argocd.argoproj.io/hook-delete-policy', 'BeforeHookCreation,HookSucceeded');
    // kubectl apply: gone ten minutes after it finished (time to read its logs), so the next
    // apply runs it again; a Job's pod template cannot change in place, and this one never has to.
    this.job.job!.addJsonPatch(JsonPatch.add('/spec/ttlSecondsAfterFinished', TTL_SECONDS));
    db.allowClient(this.job);
  }
}
