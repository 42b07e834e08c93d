/**
 * Security: what every other component relies on to be safe, built first. The NetworkPolicies
 * (a default deny in each namespace the generator owns, then the flows components declare), the
 * Secrets components read (sealed, or pulled from an external store), the deployer's Role, and
 * cert-manager's ClusterIssuers. Components declare their flows on `network` and their secrets on
 * `secrets`; `finalize` renders both once the last component is built.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { Environment } from '../../model/load';
import { type EnvironmentFile } from '../../model/schema';
import { TLS_DEFAULTS } from '../../model/defaults';
import { NetworkPolicies } from '../../kit/network/network-policies';
import { STOCK_DNS } from '../../kit/network/peers';
import { Secrets, type ExternalSource, type SealedSource } from '../../kit/secrets';
import { ClusterIssuers, type Http01Solver } from './cluster-issuers';
import { Deployer } from './deployer';
import type { ScrapeTargets } from '../../kit/scrape';
import { CERT_MANAGER, SCRAPE_JOBS } from '../names';

export type { Http01Solver };

export interface SecurityProps {
  /** Where each part is applied: the secrets first, then the policies, the deployer's Role and the issuers. */
  readonly charts: { readonly secrets: Chart; readonly networkPolicies: Chart; readonly rbac: Chart; readonly issuers: Chart };
  /** The environment's name, for the seal commands it names. */
  readonly environment: string;
  /** The namespaces the generator owns: each gets a default deny and DNS egress. */
  readonly namespaces: readonly string[];
  /** The app namespace, where the deployer may roll out and read. */
  readonly appNamespace: string;
  /** How secrets reach the cluster. @default sealed values */
  readonly secrets?: EnvironmentFile['secrets'];
  /** The sealed values of the environment and its sealing certificate. */
  readonly sealed: Environment['sealed'];
  /** The TLS settings: ACME account, Cloudflare DNS-01, the internal CA. */
  readonly tls: EnvironmentFile['tls'];
  /** Which optional issuers exist. */
  readonly features: { readonly dns01: boolean; readonly internalCa: boolean };
  /** Where it declares cert-manager's controller for Prometheus to scrape (certificate expiry). */
  readonly metrics: ScrapeTargets;
  /** How HTTP-01 challenges reach the solver: through the edge that serves the host. */
  readonly http01: Http01Solver;
  /** Collect the secret declarations only, rendering no secret (npm run seal). @default false */
  readonly declarationsOnly?: boolean;
}

export class Security extends Construct {
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  /** The namespace cert-manager runs in (`tls.certManagerNamespace`). */
  readonly certManagerNamespace: string;

  constructor(scope: Construct, id: string, props: SecurityProps) {
    super(scope, id);
    const tls = props.tls;
    const certManagerNamespace = (this.certManagerNamespace = tls.certManagerNamespace ?? TLS_DEFAULTS.certManagerNamespace);
    const internalCa = tls.internalCa;
    this.secrets = new Secrets(props.charts.secrets, 'secrets', { source: secretSource(props), declarationsOnly: props.declarationsOnly ?? false });
    this.network = new NetworkPolicies(props.charts.networkPolicies, 'network', { namespaces: props.namespaces, dns: STOCK_DNS });
    new Deployer(props.charts.rbac, 'deployer', { namespace: props.appNamespace });
    props.metrics.scrapePods({
      job: SCRAPE_JOBS.certManager,
      pods: { kind: 'pods', description: 'the cert-manager controller', namespace: certManagerNamespace, podLabels: CERT_MANAGER.podLabel },
      port: CERT_MANAGER.metricsPort,
      find: 'declared',
    });
    new ClusterIssuers(props.charts.issuers, 'issuers', {
      acmeEmail: tls.acme.email,
      http01: props.http01,
      certManagerNamespace,
      secrets: this.secrets,
      cloudflare: props.features.dns01 && tls.acme.cloudflare
        ? { zones: tls.acme.cloudflare.zones, apiTokenSecret: tls.acme.cloudflare.apiTokenSecret ?? TLS_DEFAULTS.acme.cloudflare.apiTokenSecret }
        : undefined,
      internalCa: props.features.internalCa
        ? { source: internalCa?.source ?? TLS_DEFAULTS.internalCa.source, commonName: internalCa?.commonName ?? TLS_DEFAULTS.internalCa.commonName, duration: internalCa?.duration ?? TLS_DEFAULTS.internalCa.duration }
        : undefined,
    });
  }

  /** Renders every policy and secret the components declared: call once, after the last component. */
  finalize(): void {
    this.network.finalize();
    this.secrets.finalize();
  }
}

function secretSource(props: SecurityProps): SealedSource | ExternalSource {
  const config = props.secrets;
  if (config?.provider === 'external' && config.external) {
    return { kind: 'external', store: config.external.store, refreshInterval: config.external.refreshInterval, keyPrefix: config.external.keyPrefix };
  }
  const sealed = props.sealed;
  return { kind: 'sealed', environment: props.environment, file: sealed.file, values: sealed.values, sealCommand: sealed.sealCommand, ...(sealed.certificate ? { certificate: sealed.certificate } : {}) };
}
