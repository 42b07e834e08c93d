/**
 * Backend: the application as users reach it. The API (Deployment `backend`, a client of the
 * database), the frontend (Deployment `frontend`), and the edge where the public host enters
 * (Gateway API, the legacy Ingress, or both while DNS moves), routing `/api` to the API and `/` to
 * the frontend. The three are one component because they are released, routed and load-tested
 * together; the database is another (Postgres), wired in by reference.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { TLS_DEFAULTS } from '../../model/defaults';
import type { EnvironmentFile } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ScrapeTargets } from '../../kit/scrape';
import type { PostgresServer } from '../postgres';
import { BackendApi } from './api';
import { Edge, type EdgeSettings } from './edge';
import { Frontend } from './frontend';

export { BACKEND_USER } from './api';
export { edgeSettings, http01Solver, type EdgeServer, type EdgeSettings } from './edge';

export interface BackendProps {
  /** Where each part is applied: the API first, then the frontend, then the edge that routes to both. */
  readonly charts: { readonly api: Chart; readonly frontend: Chart; readonly edge: Chart };
  /** The app namespace. */
  readonly namespace: string;
  /** Where its workloads declare their flows. */
  readonly network: NetworkPolicies;
  /** Where the API declares its metrics for Prometheus. */
  readonly metrics: ScrapeTargets;
  /** The database the API reads and writes. */
  readonly database: PostgresServer;
  /** The environment's backend section: image, resources, replicas or autoscaling bounds. */
  readonly api: EnvironmentFile['backend'];
  /** The environment's frontend section. */
  readonly frontend: EnvironmentFile['frontend'];
  /** Whether an HPA owns the replica counts (within each workload's autoscaling bounds). @default false */
  readonly autoscaling?: boolean;
  /** The public host. */
  readonly host: string;
  /** The ClusterIssuer of the host's certificate, and the Secret it is kept in (@default gravl-tls). */
  readonly tls: Pick<EnvironmentFile['tls'], 'clusterIssuer' | 'secretName'>;
  /** Which edge serves the host, and its implementation's pods. */
  readonly edge: EdgeSettings;
}

export class Backend extends Construct {
  readonly api: BackendApi;
  readonly frontend: Frontend;
  readonly edge: Edge;

  constructor(scope: Construct, id: string, props: BackendProps) {
    super(scope, id);
    const autoscaling = props.autoscaling ?? false;
    this.api = new BackendApi(props.charts.api, 'backend', {
      namespace: props.namespace,
      workload: props.api,
      autoscaling,
      network: props.network,
      metrics: props.metrics,
      database: props.database,
    });
    this.frontend = new Frontend(props.charts.frontend, 'frontend', {
      namespace: props.namespace,
      workload: props.frontend,
      autoscaling,
      network: props.network,
    });
    this.edge = new Edge(props.charts.edge, 'edge', {
      namespace: props.namespace,
      host: props.host,
      clusterIssuer: props.tls.clusterIssuer,
      tlsSecretName: props.tls.secretName ?? TLS_DEFAULTS.secretName,
      settings: props.edge,
      network: props.network,
      metrics: props.metrics,
      routes: [
        { path: '/api', workload: this.api, port: 'http' },
        { path: '/', workload: this.frontend, port: 'http' },
      ],
    });
  }
}
