/**
 * The migration Job: runs the backend image's migration command against the database, once per
 * backend version. Its name is plain and carries the version (`backend-migrate-1-4-2`): a new
 * backend image makes a new Job. A Job's pod template cannot change, so changing the command or
 * its settings without a new image needs the old Job deleted first; `npm run diff` flags that.
 * Its chart is applied after the database and before the backend, and under Argo CD its sync wave
 * comes first, so the new backend rolls out on a migrated schema. A deadline and a backoff limit
 * keep a broken migration from retrying forever. It connects as the owner role (DDL on the
 * application's schema), never as the superuser.
 */
import type { Construct } from 'constructs';
import { parseImage } from '../../model/formats';
import type { Resources } from '../../model/schema';
import { k8s } from 'cdk8s-plus-28';
import { BatchWorkload } from '../../kit/batch';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { resourceRequirements } from '../../kit/pod';
import type { PostgresServer } from './server';

export interface MigrationsProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly database: PostgresServer;
  /** The backend image, which holds the migrations. */
  readonly image: string;
  readonly command: readonly string[];
  readonly resources: Resources;
  /** The numeric user the backend image runs as. */
  readonly user: number;
}

/** A DNS-label-safe version of an image: its tag, or the start of its digest. */
export function imageVersion(image: string): string {
  const parsed = parseImage(image);
  const raw = parsed?.tag ?? parsed?.digest?.replace('sha256:', '').slice(0, 12) ?? 'unversioned';
  return raw.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 40) || 'unversioned';
}

export class Migrations extends BatchWorkload {
  constructor(scope: Construct, id: string, props: MigrationsProps) {
    const container = {
      name: 'migrate',
      image: props.image,
      command: [...props.command],
      env: [
        { name: 'NODE_ENV', value: 'production' },
        // npm keeps its cache under HOME; the root filesystem is read-only.
        { name: 'HOME', value: '/tmp' },
        ...props.database.clientEnv('Job backend-migrate', 'owner'),
      ],
      resources: resourceRequirements(props.resources),
      volumeMounts: [{ name: 'tmp', mountPath: '/tmp' }],
    };
    super(scope, id, {
      namespace: props.namespace,
      name: 'backend-migrate',
      jobName: `backend-migrate-${imageVersion(props.image)}`,
      component: 'migrations',
      network: props.network,
      user: props.user,
      backoffLimit: 2,
      activeDeadlineSeconds: 600,
      // Under `kubectl apply` nothing orders the Jobs: wait until the owner role logs in with its
      // current password (the role Job creates it and sets rotated passwords).
      initContainers: [
        {
          name: 'wait-for-role',
          image: props.database.image,
          command: ['sh', '-c', 'until psql --no-password --no-psqlrc --quiet --command="select 1" >/dev/null; do echo "waiting for role $PGUSER (set by Job postgres-roles)"; sleep 5; done'],
          env: props.database.clientEnv('Job backend-migrate', 'owner'),
          resources: resourceRequirements({ requests: { cpu: '10m', memory: '32Mi' }, limits: { cpu: '100m', memory: '64Mi' } }),
        },
      ],
      containers: [container],
      volumes: [{ name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('256Mi') } }],
    });
    props.database.allowClient(this);
  }
}
