/**
 * One environment's whole system: the composition root. It slices the environment file into the
 * props of the five components of the design (Security, Postgres, Backend, Monitoring, Logging)
 * and the load test, hands each the charts it is applied in, and wires them by reference. The
 * components never see the environment's name as a branch, only as a label value.
 */
import { App } from 'cdk8s';
import type { Environment } from '../model/load';
import { FEATURE_DEFAULTS } from '../model/defaults';
import { ApplyOrder } from '../kit/charts';
import { PART_OF } from '../kit/labels';
import { clusterAddresses } from '../kit/network/peers';
import { applyRecommendedLabels, instanceName, releaseVersion } from '../kit/recommended-labels';
import { ScrapeTargets } from '../kit/scrape';
import type { Secrets } from '../kit/secrets';
import { Backend, BACKEND_USER, edgeSettings, http01Solver } from './backend';
import { LoadTest, loadProfile } from './load-test';
import { Logging } from './logging';
import { Monitoring } from './monitoring';
import { Namespaces } from './namespaces';
import { Postgres } from './postgres';
import { Security } from './security';

/** The charts a sync applies, in apply order (one file of dist/<env>/ each), and the manual ones. */
const APPLIED = ['namespaces', 'secrets', 'network-policies', 'rbac', 'cert-manager', 'postgres', 'migrations', 'backend', 'frontend', 'logging', 'monitoring', 'node-agents', 'postgres-backup', 'edge'] as const;
/**
 * The last wave, together: the backups' claim binds only when the first backup pod runs, and the
 * edge's HTTPS listener waits for a certificate only its own HTTP-01 challenge can win once DNS
 * points at it. Argo CD proceeds from a wave only once it is healthy, and fails a sync on a Degraded
 * one: in an earlier wave either would stop a first rollout before monitoring and backups.
 */
const LAST_WAVE = ['postgres-backup', 'edge'] as const;
const MANUAL = ['load-test', 'postgres-restore', 'postgres-restore-offsite'] as const;

/** The construct tree of one environment. */
export class GravlEnvironment {
  readonly app: App;
  readonly secrets: Secrets;

  /** @param options.declarationsOnly build the tree to learn which secret keys it reads, rendering no secret (npm run seal). */
  constructor(env: Environment, options: { readonly declarationsOnly?: boolean } = {}) {
    const spec = env.spec;
    const features = { ...FEATURE_DEFAULTS, ...spec.features };
    const app = (this.app = new App({ outdir: '/nonexistent' }));
    const charts = new ApplyOrder(app, APPLIED, MANUAL, { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' }, LAST_WAVE);
    const cluster = clusterAddresses(spec.cluster);
    const edge = edgeSettings(spec.edge);
    const ns = new Namespaces(charts.chart('namespaces'), 'namespaces', { environment: env.name, app: spec.namespace, production: spec.production, cluster: spec.cluster });
    const namespace = ns.app;

    // What Prometheus scrapes, declared by each component where it builds (or knows) the target.
    const metrics = new ScrapeTargets();
    const security = new Security(app, 'Security', {
      charts: { secrets: charts.chart('secrets'), networkPolicies: charts.chart('network-policies'), rbac: charts.chart('rbac'), issuers: charts.chart('cert-manager') },
      environment: env.name,
      namespaces: ns.all,
      appNamespace: namespace,
      ...(spec.secrets ? { secrets: spec.secrets } : {}),
      sealed: env.sealed,
      tls: spec.tls,
      features,
      http01: http01Solver(edge, namespace),
      metrics,
      declarationsOnly: options.declarationsOnly ?? false,
    });
    const { network, secrets } = security;
    this.secrets = secrets;

    const postgres = new Postgres(app, 'Postgres', {
      charts: { server: charts.chart('postgres'), migrations: charts.chart('migrations'), backups: charts.chart('postgres-backup'), restore: charts.chart('postgres-restore'), offsiteRestore: charts.chart('postgres-restore-offsite') },
      namespace, network, secrets, metrics,
      spec: spec.postgres,
      database: spec.database,
      migrations: { image: spec.backend.image, ...(spec.backend.migrationCommand ? { command: spec.backend.migrationCommand } : {}), resources: spec.backend.resources, user: BACKEND_USER },
    });
    const backend = new Backend(app, 'Backend', {
      charts: { api: charts.chart('backend'), frontend: charts.chart('frontend'), edge: charts.chart('edge') },
      namespace, network, metrics,
      database: postgres.server,
      api: spec.backend,
      frontend: spec.frontend,
      autoscaling: features.autoscaling,
      host: spec.host,
      tls: spec.tls,
      edge,
    });
    new LoadTest(charts.chart('load-test'), 'load-test', {
      namespace, network,
      image: spec.loadTest.image,
      resources: spec.loadTest.resources,
      profile: loadProfile(spec.loadTest, spec.tls.clusterIssuer),
      host: spec.host,
      backend: backend.api,
      release: spec.backend.image,
      edge: backend.edge.servers,
    });
    const monitoring = new Monitoring(app, 'Monitoring', {
      charts: { monitoring: charts.chart('monitoring'), nodeAgents: charts.chart('node-agents') },
      namespace: ns.monitoring,
      nodeAgentsNamespace: ns.nodeAgents,
      appNamespace: namespace,
      environment: env.name,
      network, secrets, metrics, cluster,
      spec: spec.monitoring,
      host: spec.host,
      edge: backend.edge.servers,
      restoreDrillCopy: postgres.drillCopy,
    });
    new Logging(app, 'Logging', {
      charts: { store: charts.chart('logging'), nodeAgents: charts.chart('node-agents') },
      namespace: ns.monitoring,
      nodeAgentsNamespace: ns.nodeAgents,
      environment: env.name,
      network, metrics, cluster,
      spec: spec.logging,
      readers: [{ workload: monitoring.grafana, url: monitoring.logsUrl }],
    });

    // Every component has declared its targets, flows and the secrets it reads: render them.
    monitoring.finalize();
    security.finalize();
    // Last, over every object: the recommended labels each still lacks.
    applyRecommendedLabels(app, { instance: instanceName(env.name), version: releaseVersion(spec.backend.image) });
  }
}
