/**
 * The Gravl API: Deployment and Service `backend`, HTTP on 3000 and Prometheus metrics on 3001.
 * It reads its database settings from the environment (node-postgres honours the PG* variables):
 * host, port and database name as plain values, user and password from the credentials Secret.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ScaledWorkloadSpec } from './config/schema';
import type { NetworkPolicies } from './network/network-policies';
import { internet } from './network/peers';
import type { Secrets } from './secrets/secrets';
import { ServiceDeployment } from './service-deployment';

/** Where the backend finds its database. */
export interface DatabaseConnection {
  readonly host: string;
  readonly port: number;
  readonly name: string;
  /** Secret with keys `username` and `password`. */
  readonly credentialsSecret: string;
}

export interface BackendProps {
  readonly namespace: string;
  readonly workload: ScaledWorkloadSpec;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  /** Autoscale between the workload's autoscaling bounds. @default false */
  readonly autoscaling?: boolean;
  readonly database: DatabaseConnection;
  /** @default /api/health */
  readonly healthPath?: string;
}

export const BACKEND_HTTP_PORT = 3000;
export const BACKEND_METRICS_PORT = 3001;

export class Backend extends ServiceDeployment {
  constructor(scope: Construct, id: string, props: BackendProps) {
    const db = props.database;
    const credentials = props.secrets.require({ namespace: props.namespace, name: db.credentialsSecret, keys: ['username', 'password'], consumer: 'Deployment backend' });
    const fromSecret = (key: string): k8s.EnvVarSource => ({ secretKeyRef: { name: credentials, key } });
    super(scope, id, {
      namespace: props.namespace,
      network: props.network,
      name: 'backend',
      component: 'api',
      image: props.workload.image,
      replicas: props.workload.replicas,
      autoscaling: (props.autoscaling ?? false) ? props.workload.autoscaling : undefined,
      resources: props.workload.resources,
      user: 1000,
      ports: [
        { name: 'http', containerPort: BACKEND_HTTP_PORT },
        { name: 'metrics', containerPort: BACKEND_METRICS_PORT },
      ],
      healthCheck: { path: props.healthPath ?? '/api/health', port: 'http' },
      env: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'PORT', value: String(BACKEND_HTTP_PORT) },
        { name: 'METRICS_PORT', value: String(BACKEND_METRICS_PORT) },
        { name: 'PGHOST', value: db.host },
        { name: 'PGPORT', value: String(db.port) },
        { name: 'PGDATABASE', value: db.name },
        { name: 'PGUSER', valueFrom: fromSecret('username') },
        { name: 'PGPASSWORD', valueFrom: fromSecret('password') },
      ],
    });
    // The API calls third-party services over HTTPS, never plain HTTP.
    this.allowTo(internet('external APIs over HTTPS'), 443);
  }
}
