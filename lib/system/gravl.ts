/**
 * One environment's whole system, as a cdk8s App whose charts are declared in apply order. This
 * is where the environment file is sliced into the props of each construct and where constructs
 * are wired to each other by reference; the constructs never see the environment's name.
 */
import { App, Chart } from 'cdk8s';
import { Backend, BACKEND_USER } from './backend/api';
import { ClusterIssuers } from './security/cluster-issuers';
import type { Environment } from '../model/load';
import { EDGE_DEFAULTS } from '../model/schema';
import { Frontend } from './backend/frontend';
import { Edge, http01Solver, type EdgeSettings } from './backend/edge';
import { LoadTest } from './load-test';
import { PART_OF } from '../kit/labels';
import { Namespace } from '../kit/namespace';
import { Alloy } from './logging/alloy';
import { Loki } from './logging/loki';
import { Alertmanager } from './monitoring/alertmanager';
import { Grafana } from './monitoring/grafana';
import { KubeStateMetrics } from './monitoring/kube-state-metrics';
import { MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE } from './names';
import { NodeExporter } from './monitoring/node-exporter';
import { Prometheus } from './monitoring/prometheus';
import { NetworkPolicies } from '../kit/network/network-policies';
import { addressRanges, STOCK_DNS, type ClusterAddresses, type ForeignPods } from '../kit/network/peers';
import { Backups, drillCopy } from './postgres/backups';
import { Migrations } from './postgres/migrations';
import { Postgres } from './postgres/server';
import { DatabaseRoles } from './postgres/roles';
import { Deployer } from './security/deployer';
import { Secrets, type ExternalSource, type SealedSource } from '../kit/secrets';
import { ManualChart } from '../render/render';
import { PriorityClasses } from '../kit/scheduling';
import { applyRecommendedLabels, instanceName, releaseVersion } from '../kit/recommended-labels';
import { ENVIRONMENT_LABEL, PRODUCTION_LABEL, STORAGE_CLASSES_ANNOTATION } from '../contract';

const LABELS = { 'app.kubernetes.io/part-of': PART_OF, 'app.kubernetes.io/managed-by': 'cdk8s' };

/** Charts chained so that each renders after the one declared before it. */
class OrderedCharts {
  private last?: Chart;
  constructor(private readonly app: App) {}

  /** A new chart, applied after every chart declared before it. */
  add(id: string): Chart {
    const chart = new Chart(this.app, id, { labels: LABELS });
    if (this.last) chart.addDependency(this.last);
    this.last = chart;
    return chart;
  }

  /** A chart for manual use only: rendered beside the others, never applied by a sync. */
  manual(id: string): Chart {
    return new ManualChart(this.app, id, { labels: LABELS });
  }
}

/** The construct tree of one environment. */
export class GravlEnvironment {
  readonly app: App;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;

  /** @param options.declarationsOnly build the tree to learn which secret keys it reads, rendering no secret (npm run seal). */
  constructor(env: Environment, options: { readonly declarationsOnly?: boolean } = {}) {
    const spec = env.spec;
    const podSecurityVersion = spec.cluster.podSecurityVersion ?? 'v1.28';
    const features = { autoscaling: false, dns01: false, internalCa: true, ...spec.features };
    const database = { name: spec.database.name ?? 'gravl', credentialsSecret: spec.database.credentialsSecret ?? 'gravl-db-credentials' };
    const certManagerNamespace = spec.tls.certManagerNamespace ?? 'cert-manager';

    this.app = new App({ outdir: '/nonexistent' });
    const charts = new OrderedCharts(this.app);

    const pods = spec.cluster.podAddresses ?? [];
    const cluster: ClusterAddresses = {
      nodes: addressRanges('the nodes', spec.cluster.nodeAddresses, pods),
      apiServer: { ranges: addressRanges('the API server', spec.cluster.apiServer.addresses, pods), ports: spec.cluster.apiServer.ports },
    };

    const namespaces = charts.add('namespaces');
    // What readiness needs to judge the output on its own: which environment this is, whether the
    // production bar applies, and which StorageClasses the cluster has.
    const appNamespace = new Namespace(namespaces, 'app', {
      name: spec.namespace,
      podSecurityVersion,
      labels: { [ENVIRONMENT_LABEL]: env.name, [PRODUCTION_LABEL]: String(spec.production) },
      annotations: { [STORAGE_CLASSES_ANNOTATION]: spec.cluster.storageClasses.join(',') },
    });
    const monitoringNamespace = new Namespace(namespaces, 'monitoring', { name: MONITORING_NAMESPACE, podSecurityVersion });
    // Node agents read host paths and use the host network: the only namespace that may.
    const agentsNamespace = new Namespace(namespaces, 'node-agents', { name: NODE_AGENTS_NAMESPACE, podSecurityVersion, podSecurity: 'privileged' });
    new PriorityClasses(namespaces, 'priority-classes', { labels: { 'app.kubernetes.io/name': 'gravl-scheduling', 'app.kubernetes.io/component': 'scheduling' } });

    this.secrets = new Secrets(charts.add('secrets'), 'secrets', { source: secretSource(env), declarationsOnly: options.declarationsOnly ?? false });
    this.network = new NetworkPolicies(charts.add('network-policies'), 'network', {
      namespaces: [appNamespace.name, monitoringNamespace.name, agentsNamespace.name],
      dns: STOCK_DNS,
    });
    new Deployer(charts.add('rbac'), 'deployer', { namespace: appNamespace.name });

    const edge = edgeSettings(spec.edge);
    const internalCa = spec.tls.internalCa;
    new ClusterIssuers(charts.add('cert-manager'), 'issuers', {
      acmeEmail: spec.tls.acme.email,
      http01: http01Solver(edge, appNamespace.name),
      certManagerNamespace,
      secrets: this.secrets,
      cloudflare: features.dns01 && spec.tls.acme.cloudflare
        ? { zones: spec.tls.acme.cloudflare.zones, apiTokenSecret: spec.tls.acme.cloudflare.apiTokenSecret ?? 'cloudflare-api-token' }
        : undefined,
      internalCa: features.internalCa
        ? { source: internalCa?.source ?? 'selfSigned', commonName: internalCa?.commonName ?? 'Gravl Internal CA', duration: internalCa?.duration ?? '87600h' }
        : undefined,
    });

    const pg = spec.postgres;
    const postgresChart = charts.add('postgres');
    const postgres = new Postgres(postgresChart, 'postgres', {
      namespace: appNamespace.name,
      network: this.network,
      secrets: this.secrets,
      image: pg.image,
      resources: pg.resources,
      storage: pg.storage,
      database: database.name,
      credentialsSecret: database.credentialsSecret,
      exporter: pg.exporter,
    });
    // In the database's chart: applied with the server, before the migrations' chart.
    new DatabaseRoles(postgresChart, 'roles', {
      namespace: appNamespace.name,
      network: this.network,
      secrets: this.secrets,
      database: postgres,
    });
    new Migrations(charts.add('migrations'), 'migrations', {
      namespace: appNamespace.name,
      network: this.network,
      database: postgres,
      image: spec.backend.image,
      command: spec.backend.migrationCommand ?? ['npm', 'run', 'migrate'],
      resources: spec.backend.resources,
      user: BACKEND_USER,
    });

    const backend = new Backend(charts.add('backend'), 'backend', {
      namespace: appNamespace.name,
      workload: spec.backend,
      autoscaling: features.autoscaling,
      network: this.network,
      database: postgres,
    });
    const frontend = new Frontend(charts.add('frontend'), 'frontend', {
      namespace: appNamespace.name,
      workload: spec.frontend,
      autoscaling: features.autoscaling,
      network: this.network,
    });

    const entry = new Edge(charts.add('edge'), 'edge', {
      namespace: appNamespace.name,
      host: spec.host,
      clusterIssuer: spec.tls.clusterIssuer,
      tlsSecretName: spec.tls.secretName ?? 'gravl-tls',
      settings: edge,
      network: this.network,
      routes: [
        { path: '/api', workload: backend, port: 'http' },
        { path: '/', workload: frontend, port: 'http' },
      ],
    });

    new LoadTest(charts.manual('load-test'), 'load-test', {
      namespace: appNamespace.name,
      network: this.network,
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
      backend,
      release: spec.backend.image,
      edge: entry.dataPlanes,
    });

    const logging = spec.logging;
    const lokiStorage = logging.loki.storage;
    const loki = new Loki(charts.add('logging'), 'loki', {
      namespace: monitoringNamespace.name,
      network: this.network,
      image: logging.loki.image,
      resources: logging.loki.resources,
      retention: logging.loki.retention,
      storage: lokiStorage.type === 'persistentVolumeClaim'
        ? { type: 'persistentVolumeClaim', storageClassName: lokiStorage.storageClassName!, size: lokiStorage.size! }
        : { type: 'emptyDir', ...(lokiStorage.size ? { sizeLimit: lokiStorage.size } : {}) },
    });

    const monitoring = spec.monitoring;
    const objectStorage = pg.backup.objectStorage
      ? { ...pg.backup.objectStorage, prefix: pg.backup.objectStorage.prefix ?? 'postgres', credentialsSecret: pg.backup.objectStorage.credentialsSecret ?? 'postgres-backup-s3' }
      : undefined;
    const monitoringChart = charts.add('monitoring');
    const prometheus = new Prometheus(monitoringChart, 'prometheus', {
      namespace: monitoringNamespace.name,
      network: this.network,
      cluster,
      appNamespace: appNamespace.name,
      certManagerNamespace,
      environment: env.name,
      image: monitoring.prometheus.image,
      resources: monitoring.prometheus.resources,
      retention: monitoring.prometheus.retention,
      storage: monitoring.prometheus.storage,
      restoreDrillCopy: drillCopy(objectStorage),
      host: spec.host,
      // Whatever serves the host, from the edge settings: scraped, and its 5xx share alerted on.
      edges: [
        ...(entry.gateway ? [{ kind: 'gateway' as const, namespace: edge.gateway.dataPlane.namespace, podLabels: edge.gateway.dataPlane.podLabels }] : []),
        ...(entry.ingress ? [{ kind: 'ingress' as const, namespace: edge.ingress.controller.namespace, podLabels: edge.ingress.controller.podLabels }] : []),
      ],
    });
    const alertmanager = new Alertmanager(monitoringChart, 'alertmanager', {
      namespace: monitoringNamespace.name,
      network: this.network,
      secrets: this.secrets,
      image: monitoring.alertmanager.image,
      resources: monitoring.alertmanager.resources,
      slack: monitoring.alertmanager.slack,
      email: monitoring.alertmanager.email,
      // Silences and the notification log are small: 1Gi on Prometheus's class.
      storage: { storageClassName: monitoring.prometheus.storage.storageClassName, size: '1Gi' },
    });
    const grafana = new Grafana(monitoringChart, 'grafana', {
      namespace: monitoringNamespace.name,
      network: this.network,
      secrets: this.secrets,
      appNamespace: appNamespace.name,
      image: monitoring.grafana.image,
      resources: monitoring.grafana.resources,
      prometheus,
      loki,
      edge: { host: spec.host, kinds: [...(entry.gateway ? ['gateway' as const] : []), ...(entry.ingress ? ['ingress' as const] : [])] },
    });
    const kubeStateMetrics = new KubeStateMetrics(monitoringChart, 'kube-state-metrics', {
      namespace: monitoringNamespace.name,
      network: this.network,
      cluster,
      image: monitoring.kubeStateMetrics.image,
      resources: monitoring.kubeStateMetrics.resources,
    });

    const agents = charts.add('node-agents');
    new NodeExporter(agents, 'node-exporter', {
      namespace: agentsNamespace.name,
      network: this.network,
      cluster,
      image: monitoring.nodeExporter.image,
      resources: monitoring.nodeExporter.resources,
      scraper: prometheus,
    });
    const alloy = new Alloy(agents, 'alloy', {
      namespace: agentsNamespace.name,
      network: this.network,
      cluster,
      image: logging.alloy.image,
      resources: logging.alloy.resources,
      environment: env.name,
      loki,
    });

    // Last: its claim binds only when the first backup pod uses it (WaitForFirstConsumer), and
    // Argo CD would hold every later wave until then.
    new Backups(charts.add('postgres-backup'), 'backups', {
      namespace: appNamespace.name,
      network: this.network,
      secrets: this.secrets,
      database: postgres,
      schedule: pg.backup.schedule ?? '0 2 * * *',
      restoreDrillSchedule: pg.backup.restoreDrillSchedule ?? '0 4 * * 0',
      retain: pg.backup.retain ?? 7,
      storage: pg.backup.storage,
      resources: pg.backup.resources ?? { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
      objectStorage,
      manualScope: charts.manual('postgres-restore'),
      ...(objectStorage ? { offsiteRestoreScope: charts.manual('postgres-restore-offsite') } : {}),
    });
    // What Prometheus scrapes, by the metrics port each workload declares.
    for (const [target, port] of [[backend, 'metrics'], [postgres, 'metrics'], [alertmanager, 'web'], [grafana, 'http'], [loki, 'http'], [kubeStateMetrics, 'http-metrics'], [alloy, 'http']] as const) {
      prometheus.scrape({ peer: target, port });
    }
    prometheus.allowTo(alertmanager, 'web');

    // Every construct has declared its flows and the secrets it reads: render them.
    this.network.finalize();
    this.secrets.finalize();
    // Last, over every object: the recommended labels each still lacks.
    applyRecommendedLabels(this.app, { instance: instanceName(env.name), version: releaseVersion(spec.backend.image) });
  }
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

function secretSource(env: Environment): SealedSource | ExternalSource {
  const config = env.spec.secrets;
  if (config?.provider === 'external' && config.external) {
    return { kind: 'external', store: config.external.store, refreshInterval: config.external.refreshInterval, keyPrefix: config.external.keyPrefix };
  }
  return { kind: 'sealed', environment: env.name, file: env.sealed.file, values: env.sealed.values, sealCommand: env.sealed.sealCommand, ...(env.sealed.certificate ? { certificate: env.sealed.certificate } : {}) };
}
