/**
 * One environment's whole system: the composition root. It slices the environment file into the
 * props of the five components of the design (Security, Postgres, Backend, Monitoring, Logging)
 * and the load test, hands each the charts it is applied in, and wires them by reference. The
 * components never see the environment's name as a branch, only as a label value.
 */
import { App, type Chart } from 'cdk8s';
import type { Environment } from '../model/load';
import { EDGE_DEFAULTS } from '../model/schema';
import { ApplyOrder } from '../kit/charts';
import { PART_OF } from '../kit/labels';
import { Namespace } from '../kit/namespace';
import { addressRanges, type ClusterAddresses, type ForeignPods } from '../kit/network/peers';
import { applyRecommendedLabels, instanceName, releaseVersion } from '../kit/recommended-labels';
import { PriorityClasses } from '../kit/scheduling';
import { ScrapeTargets } from '../kit/scrape';
import type { Secrets } from '../kit/secrets';
import { Backend } from './backend';
import { BACKEND_USER } from './backend/api';
import { http01Solver, type EdgeSettings } from './backend/edge';
import { LoadTest } from './load-test';
import { Logging } from './logging';
import { Monitoring } from './monitoring';
import { MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE } from './names';
import { Postgres } from './postgres';
import { Security } from './security';
import { ENVIRONMENT_LABEL, PRODUCTION_LABEL, STORAGE_CLASSES_ANNOTATION } from '../contract';

/** The charts a sync applies, in apply order (one file of dist/<env>/ each), and the manual ones. */
const APPLIED = ['namespaces', 'secrets', 'network-policies', 'rbac', 'cert-manager', 'postgres', 'migrations', 'backend', 'frontend', 'edge', 'logging', 'monitoring', 'node-agents', 'postgres-backup'] as const;
const MANUAL = ['load-test', 'postgres-restore', 'postgres-restore-offsite'] as const;

/** The construct tree of one environment. */
export class GravlEnvironment {
  readonly app: App;
  readonly secrets: Secrets;

  /** @param options.declarationsOnly build the tree to learn which secret keys it reads, rendering no secret (npm run seal). */
  constructor(env: Environment, options: { readonly declarationsOnly?: boolean } = {}) {
    const spec = env.spec;
    const features = { autoscaling: false, dns01: false, internalCa: true, ...spec.features };
    const app = (this.app = new App({ outdir: '/nonexistent' }));
    const charts = new ApplyOrder(app, APPLIED, MANUAL, { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' });
    const namespace = spec.namespace;
    const cluster = clusterAddresses(spec.cluster);
    const edge = edgeSettings(spec.edge);
    const certManagerNamespace = spec.tls.certManagerNamespace ?? 'cert-manager';
    namespaces(charts.chart('namespaces'), env);

    const security = new Security(app, 'Security', {
      charts: { secrets: charts.chart('secrets'), networkPolicies: charts.chart('network-policies'), rbac: charts.chart('rbac'), issuers: charts.chart('cert-manager') },
      environment: env.name,
      namespaces: [namespace, MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE],
      appNamespace: namespace,
      ...(spec.secrets ? { secrets: spec.secrets } : {}),
      sealed: env.sealed,
      tls: spec.tls,
      features,
      http01: http01Solver(edge, namespace),
      declarationsOnly: options.declarationsOnly ?? false,
    });
    const { network, secrets } = security;
    this.secrets = secrets;
    // Every workload that serves metrics declares them here, where it is built; Monitoring scrapes them.
    const metrics = new ScrapeTargets();

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
      tls: { clusterIssuer: spec.tls.clusterIssuer, secretName: spec.tls.secretName ?? 'gravl-tls' },
      edge,
    });
    new LoadTest(charts.chart('load-test'), 'load-test', {
      namespace, network,
      image: spec.loadTest.image,
      resources: spec.loadTest.resources,
      // Only Let's Encrypt's production issuer gives a certificate k6 trusts.
      profile: {
        vus: spec.loadTest.vus,
        duration: spec.loadTest.duration,
        rate: spec.loadTest.rate,
        ...(spec.loadTest.peakRate !== undefined ? { peakRate: spec.loadTest.peakRate } : {}),
        verifiableCertificate: spec.tls.clusterIssuer === 'letsencrypt-prod',
      },
      host: spec.host,
      backend: backend.api,
      release: spec.backend.image,
      edge: backend.edge.dataPlanes,
    });
    const monitoring = new Monitoring(app, 'Monitoring', {
      charts: { monitoring: charts.chart('monitoring'), nodeAgents: charts.chart('node-agents') },
      namespace: MONITORING_NAMESPACE,
      nodeAgentsNamespace: NODE_AGENTS_NAMESPACE,
      appNamespace: namespace,
      certManagerNamespace,
      environment: env.name,
      network, secrets, metrics, cluster,
      spec: spec.monitoring,
      host: spec.host,
      edge: backend.edge.servers,
      restoreDrillCopy: postgres.drillCopy,
    });
    new Logging(app, 'Logging', {
      charts: { store: charts.chart('logging'), nodeAgents: charts.chart('node-agents') },
      namespace: MONITORING_NAMESPACE,
      nodeAgentsNamespace: NODE_AGENTS_NAMESPACE,
      environment: env.name,
      network, metrics, cluster,
      spec: spec.logging,
      readers: [monitoring.grafana],
    });

    // Every component has declared its flows and the secrets it reads: render them.
    security.finalize();
    // Last, over every object: the recommended labels each still lacks.
    applyRecommendedLabels(app, { instance: instanceName(env.name), version: releaseVersion(spec.backend.image) });
  }
}

/**
 * The namespaces and PriorityClasses. The app namespace carries what readiness needs to judge the
 * output on its own: the environment's name, whether the production bar applies, and the
 * StorageClasses the cluster has.
 */
function namespaces(chart: Chart, env: Environment): void {
  const spec = env.spec;
  const podSecurityVersion = spec.cluster.podSecurityVersion ?? 'v1.28';
  new Namespace(chart, 'app', {
    name: spec.namespace,
    podSecurityVersion,
    labels: { [ENVIRONMENT_LABEL]: env.name, [PRODUCTION_LABEL]: String(spec.production) },
    annotations: { [STORAGE_CLASSES_ANNOTATION]: spec.cluster.storageClasses.join(',') },
  });
  new Namespace(chart, 'monitoring', { name: MONITORING_NAMESPACE, podSecurityVersion });
  // Node agents read host paths and use the host network: the only namespace that may.
  new Namespace(chart, 'node-agents', { name: NODE_AGENTS_NAMESPACE, podSecurityVersion, podSecurity: 'privileged' });
  new PriorityClasses(chart, 'priority-classes', { labels: { 'app.kubernetes.io/name': 'gravl-scheduling', 'app.kubernetes.io/component': 'scheduling' } });
}

/** Where the nodes and the API server are, each range leaving out the pod network. */
function clusterAddresses(cluster: Environment['spec']['cluster']): ClusterAddresses {
  const pods = cluster.podAddresses ?? [];
  return {
    nodes: addressRanges('the nodes', cluster.nodeAddresses, pods),
    apiServer: { ranges: addressRanges('the API server', cluster.apiServer.addresses, pods), ports: cluster.apiServer.ports },
  };
}

/** The edge of the file, with the stock defaults of its implementation where it says nothing. */
function edgeSettings(edge: Environment['spec']['edge']): EdgeSettings {
  const pods = (given: { namespace?: string; podLabels?: Record<string, string> } | undefined, stock: { namespace: string; podLabels: Readonly<Record<string, string>> }, description: string): ForeignPods => ({
    kind: 'pods',
    description,
    namespace: given?.namespace ?? stock.namespace,
    podLabels: { ...(given?.podLabels ?? stock.podLabels) },
  });
  return {
    kind: edge?.kind ?? EDGE_DEFAULTS.kind,
    gateway: {
      className: edge?.gateway?.className ?? EDGE_DEFAULTS.gateway.className,
      dataPlane: pods(edge?.gateway?.dataPlane, EDGE_DEFAULTS.gateway.dataPlane, 'the Gateway data plane'),
    },
    ingress: {
      className: edge?.ingress?.className ?? EDGE_DEFAULTS.ingress.className,
      controller: pods(edge?.ingress?.controller, EDGE_DEFAULTS.ingress.controller, 'the ingress-nginx controller'),
    },
    ...(edge?.hsts ? { hsts: { maxAge: edge.hsts.maxAge, includeSubDomains: edge.hsts.includeSubDomains ?? false, preload: edge.hsts.preload ?? false } } : {}),
  };
}
