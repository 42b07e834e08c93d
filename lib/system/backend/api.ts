/**
 * The Gravl API: Deployment and Service `backend`, HTTP on 3000 and Prometheus metrics on 3001.
 * It reads its database settings from the environment (node-postgres honours the PG* variables):
 * host, port and database name as plain values, user and password from the credentials Secret.
 */
import { Construct } from 'constructs';
import type { ScaledWorkloadSpec } from '../../model/schema';
import { BACKEND, SCRAPE_JOBS } from '../names';
import type { ScrapeTargets } from '../../kit/scrape';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { internet } from '../../kit/network/peers';
import { DATABASE_PASSWORD_ANNOTATION, type PostgresServer } from '../postgres';
import { ServiceDeployment } from '../../kit/service-deployment';

export interface BackendApiProps {
  readonly namespace: string;
  readonly workload: ScaledWorkloadSpec;
  readonly network: NetworkPolicies;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  /** Autoscale between the workload's autoscaling bounds. @default false */
  readonly autoscaling?: boolean;
  readonly database: PostgresServer;
}

/** The numeric user the backend image runs as (the `node` user of the Node.js images). */
export const BACKEND_USER = 1000;

export class BackendApi extends ServiceDeployment {
  constructor(scope: Construct, id: string, props: BackendApiProps) {
    super(scope, id, {
      namespace: props.namespace,
      network: props.network,
      name: BACKEND.service,
      component: 'api',
      // With the data tier, above the rest: the API is what every request needs.
      priorityClass: 'critical',
      workload: props.workload,
      ...(props.autoscaling !== undefined ? { autoscaling: props.autoscaling } : {}),
      user: BACKEND_USER,
      ports: [
        { name: BACKEND.httpPort.name, containerPort: BACKEND.httpPort.port },
        { name: BACKEND.metricsPort.name, containerPort: BACKEND.metricsPort.port },
      ],
      healthCheck: { path: '/api/health', port: BACKEND.httpPort.name },
      env: [
        { name: 'NODE_ENV', value: 'production' },
        { name: 'PORT', value: String(BACKEND.httpPort.port) },
        { name: 'METRICS_PORT', value: String(BACKEND.metricsPort.port) },
        ...props.database.clientEnv('Deployment backend', 'app'),
      ],
      // A rotated password rolls the pods, in the wave after the role Job has set it.
      ...(props.database.passwordFingerprint('app') ? { podAnnotations: { [DATABASE_PASSWORD_ANNOTATION]: props.database.passwordFingerprint('app') } } : {}),
    });
    props.metrics.scrape({ job: SCRAPE_JOBS.backend, workload: this, port: BACKEND.metricsPort.name });
    props.database.allowClient(this);
    // The API calls third-party services over HTTPS, never plain HTTP.
    this.allowTo(internet('external APIs over HTTPS'), 443);
  }
}
