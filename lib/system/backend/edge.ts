/**
 * Where the public host enters: the Gateway API edge (the default), the legacy Ingress, or both
 * side by side while DNS moves from one to the other. Either way the same guarantees hold: the host
 * under TLS from cert-manager, HTTP redirected to HTTPS, `/api` to the backend and `/` to the
 * frontend, the ACME HTTP-01 solver reachable, and the workloads reachable from the edge's data
 * plane alone.
 */
import { Construct } from 'constructs';
import type { Http01Solver } from '../security';
import { GravlGateway, HTTP_LISTENER, type EdgeRoute, type Hsts } from './gateway';
import { GravlIngress } from './ingress';
import { EDGE_NAME } from '../names';
import { EDGE_SCRAPE } from '../../contract';
import type { ScrapeTargets } from '../../kit/scrape';
import { type EnvironmentFile } from '../../model/schema';
import { EDGE_DEFAULTS, HSTS_DEFAULTS } from '../../model/defaults';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ForeignPods, NetworkMember } from '../../kit/network/peers';

/** Which edge serves the host. */
export type EdgeKind = 'gateway' | 'ingress' | 'both';

/** The edge of an environment, as data. */
export interface EdgeSettings {
  readonly kind: EdgeKind;
  readonly gateway: { readonly className: string; readonly dataPlane: ForeignPods };
  readonly ingress: { readonly className: string; readonly controller: ForeignPods };
  /** @default no Strict-Transport-Security header */
  readonly hsts?: Hsts;
}

/**
 * The HTTP-01 solver of an edge. Where both edges run, the Ingress keeps issuing: DNS points at it
 * until the switch, and challenges arrive where DNS points.
 */
export function http01Solver(edge: EdgeSettings, namespace: string): Http01Solver {
  return edge.kind === 'gateway'
    ? { kind: 'gateway', gateway: { name: EDGE_NAME, namespace, sectionName: HTTP_LISTENER } }
    : { kind: 'ingress', ingressClassName: edge.ingress.className };
}

/** Port of the pods cert-manager starts to answer HTTP-01 challenges. */
export const ACME_SOLVER_PORT = 8089;

/** One implementation carrying the host's traffic, and its pods. */
export interface EdgeServer {
  readonly kind: 'gateway' | 'ingress';
  readonly pods: ForeignPods;
}

export interface EdgeProps {
  readonly namespace: string;
  readonly host: string;
  readonly clusterIssuer: string;
  readonly tlsSecretName: string;
  readonly routes: readonly EdgeRoute[];
  readonly settings: EdgeSettings;
  readonly network: NetworkPolicies;
  /** Where it declares what carries the host's traffic for Prometheus to scrape (each implementation on its stock metrics port). */
  readonly metrics: ScrapeTargets;
}

export class Edge extends Construct {
  /** The pods that carry the host's traffic into the cluster (one or two data planes). */
  /** What carries the host's traffic, by implementation (Prometheus scrapes each, an alert watches its 5xx). */
  readonly servers: readonly EdgeServer[];
  /** Their pods, which the workloads behind the edge admit. */
  readonly dataPlanes: readonly ForeignPods[];
  /** The HTTP-01 solver pods cert-manager starts in this namespace while it proves the host. */
  readonly acmeSolver: NetworkMember;
  readonly gateway?: GravlGateway;
  readonly ingress?: GravlIngress;

  constructor(scope: Construct, id: string, props: EdgeProps) {
    super(scope, id);
    const { settings } = props;
    const withGateway = settings.kind !== 'ingress';
    const withIngress = settings.kind !== 'gateway';
    const common = { namespace: props.namespace, host: props.host, tlsSecretName: props.tlsSecretName, routes: props.routes, network: props.network };
    if (withGateway) {
      this.gateway = new GravlGateway(this, 'gateway', {
        ...common,
        className: settings.gateway.className,
        // One issuer per Secret: while the Ingress runs, its certificate serves both edges.
        clusterIssuer: withIngress ? undefined : props.clusterIssuer,
        dataPlane: settings.gateway.dataPlane,
        ...(settings.hsts ? { hsts: settings.hsts } : {}),
      });
    }
    if (withIngress) {
      this.ingress = new GravlIngress(this, 'ingress', { ...common, clusterIssuer: props.clusterIssuer, ingressClassName: settings.ingress.className, controller: settings.ingress.controller });
    }
    this.servers = [
      ...(withGateway ? [{ kind: 'gateway' as const, pods: settings.gateway.dataPlane }] : []),
      ...(withIngress ? [{ kind: 'ingress' as const, pods: settings.ingress.controller }] : []),
    ];
    this.dataPlanes = this.servers.map((s) => s.pods);
    for (const server of this.servers) {
      const scrape = EDGE_SCRAPE[server.kind];
      props.metrics.scrapePods({ job: scrape.job, pods: server.pods, port: scrape.port, path: scrape.path, find: 'address' });
    }
    this.acmeSolver = {
      name: 'acme-http01-solver',
      namespace: props.namespace,
      selector: { 'acme.cert-manager.io/http01-solver': 'true' },
      ports: [{ name: 'http', containerPort: ACME_SOLVER_PORT }],
    };
    props.network.addMember(this.acmeSolver);
    // Challenges come through the edge that issues.
    props.network.allow(http01Solver(settings, props.namespace).kind === 'gateway' ? settings.gateway.dataPlane : settings.ingress.controller, this.acmeSolver, ['http']);
  }
}

/** The edge of the file, with the stock defaults of its implementation where it says nothing. */
export function edgeSettings(edge: EnvironmentFile['edge']): EdgeSettings {
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
    ...(edge?.hsts ? { hsts: { maxAge: edge.hsts.maxAge, includeSubDomains: edge.hsts.includeSubDomains ?? HSTS_DEFAULTS.includeSubDomains, preload: edge.hsts.preload ?? HSTS_DEFAULTS.preload } } : {}),
  };
}
