/**
 * One environment's whole system, as a cdk8s App whose charts are declared in apply order. This
 * is where the environment file is sliced into the props of each construct and where constructs
 * are wired to each other by reference; the constructs never see the environment's name.
 */
import { App, Chart } from 'cdk8s';
import { Backend, BACKEND_USER } from './backend';
import { ClusterIssuers } from './cert-manager/cluster-issuers';
import type { Environment } from './config/load';
import { Frontend } from './frontend';
import { GravlIngress } from './ingress';
import { PART_OF } from './labels';
import { Namespace } from './namespace';
import { NetworkPolicies } from './network/network-policies';
import { STOCK_DNS, STOCK_INGRESS_NGINX } from './network/peers';
import { Backups } from './postgres/backups';
import { Migrations } from './postgres/migrations';
import { Postgres } from './postgres/postgres';
import { Deployer } from './rbac/deployer';
import { Secrets, type ExternalSource, type SealedSource } from './secrets/secrets';
import { ManualChart } from './synth/render';

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

  constructor(env: Environment) {
    const spec = env.spec;
    const podSecurityVersion = spec.cluster.podSecurityVersion ?? 'v1.28';
    const features = { autoscaling: false, dns01: false, internalCa: true, ...spec.features };
    const database = { name: spec.database.name ?? 'gravl', credentialsSecret: spec.database.credentialsSecret ?? 'gravl-db-credentials' };
    const certManagerNamespace = spec.tls.certManagerNamespace ?? 'cert-manager';

    this.app = new App({ outdir: '/nonexistent' });
    const charts = new OrderedCharts(this.app);

    const namespaces = charts.add('namespaces');
    const appNamespace = new Namespace(namespaces, 'app', { name: spec.namespace, podSecurityVersion });

    this.secrets = new Secrets(charts.add('secrets'), 'secrets', { source: secretSource(env) });
    this.network = new NetworkPolicies(charts.add('network-policies'), 'network', { namespaces: [appNamespace.name], dns: STOCK_DNS });
    new Deployer(charts.add('rbac'), 'deployer', { namespace: appNamespace.name });

    const internalCa = spec.tls.internalCa;
    new ClusterIssuers(charts.add('cert-manager'), 'issuers', {
      acmeEmail: spec.tls.acme.email,
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
    const postgres = new Postgres(charts.add('postgres'), 'postgres', {
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
    const objectStorage = pg.backup.objectStorage;
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
      objectStorage: objectStorage
        ? { ...objectStorage, prefix: objectStorage.prefix ?? 'postgres', credentialsSecret: objectStorage.credentialsSecret ?? 'postgres-backup-s3' }
        : undefined,
      manualScope: charts.manual('postgres-restore'),
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

    new GravlIngress(charts.add('ingress'), 'ingress', {
      namespace: appNamespace.name,
      host: spec.host,
      clusterIssuer: spec.tls.clusterIssuer,
      tlsSecretName: spec.tls.secretName ?? 'gravl-tls',
      controller: STOCK_INGRESS_NGINX,
      network: this.network,
      routes: [
        { path: '/api', workload: backend, port: 'http' },
        { path: '/', workload: frontend, port: 'http' },
      ],
    });

    // Every construct has declared its flows and the secrets it reads: render them.
    this.network.finalize();
    this.secrets.finalize();
  }
}

function secretSource(env: Environment): SealedSource | ExternalSource {
  const config = env.spec.secrets;
  if (config?.provider === 'external' && config.external) {
    return { kind: 'external', store: config.external.store, refreshInterval: config.external.refreshInterval, keyPrefix: config.external.keyPrefix };
  }
  return { kind: 'sealed', environment: env.name, file: env.sealed.file, values: env.sealed.values };
}
