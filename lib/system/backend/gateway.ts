/**
 * The Gateway API edge `gravl`: a Gateway with an HTTP and an HTTPS listener for the public host,
 * its certificate issued by cert-manager from the Gateway itself (the ClusterIssuer annotation),
 * an HTTPRoute that redirects plain HTTP to HTTPS, and an HTTPRoute that sends `/api` to the
 * backend and `/` to the frontend by Service reference, with HSTS set as a response header where
 * the environment asks for it (never a controller's default).
 */
import { Construct } from 'constructs';
import {
  Gateway,
  GatewaySpecListenersAllowedRoutesNamespacesFrom,
  GatewaySpecListenersTlsMode,
  HttpRoute,
  HttpRouteSpecRulesFiltersRequestRedirectScheme,
  HttpRouteSpecRulesFiltersRequestRedirectStatusCode,
  HttpRouteSpecRulesFiltersType,
  HttpRouteSpecRulesMatchesPathType,
  type HttpRouteSpecRulesFilters,
} from '../../../imports/gateway.networking.k8s.io';
import { EDGE_NAME } from '../names';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ForeignPods } from '../../kit/network/peers';
import type { ServiceDeployment } from '../../kit/service-deployment';
import { DATA_PLANE_ANNOTATION, formatDataPlane } from '../../contract';

/** A path prefix and the Service port that serves it. */
export interface EdgeRoute {
  readonly path: string;
  readonly workload: ServiceDeployment;
  /** Name of the Service port (the container port of the same name receives the traffic). */
  readonly port: string;
}

/** The Strict-Transport-Security header an edge sends on HTTPS answers. */
export interface Hsts {
  /** Seconds browsers keep to HTTPS. */
  readonly maxAge: number;
  readonly includeSubDomains: boolean;
  readonly preload: boolean;
}

/** The header's value: `max-age=31536000; includeSubDomains; preload`. */
export function hstsHeader(hsts: Hsts): string {
  return [`max-age=${hsts.maxAge}`, ...(hsts.includeSubDomains ? ['includeSubDomains'] : []), ...(hsts.preload ? ['preload'] : [])].join('; ');
}

/** Listener names: the HTTP one (redirect, ACME HTTP-01 challenges) and the HTTPS one (the routes). */
export const HTTP_LISTENER = 'http';
export const HTTPS_LISTENER = 'https';

export interface GravlGatewayProps {
  readonly namespace: string;
  readonly host: string;
  /** The GatewayClass of the implementation that serves it. */
  readonly className: string;
  /**
   * ClusterIssuer that cert-manager issues the listener's certificate from; undefined while
   * another edge (the legacy Ingress, during a migration) issues the same Secret.
   */
  readonly clusterIssuer?: string;
  /** Secret holding the certificate of the HTTPS listener. */
  readonly tlsSecretName: string;
  /** Path prefixes in any order: Gateway API matches the longest prefix first. */
  readonly routes: readonly EdgeRoute[];
  /** The implementation's data plane pods: the only callers of the routes' workloads from outside. */
  readonly dataPlane: ForeignPods;
  /** @default no Strict-Transport-Security header */
  readonly hsts?: Hsts;
  readonly network: NetworkPolicies;
}

export class GravlGateway extends Construct {
  readonly gateway: Gateway;
  readonly route: HttpRoute;
  readonly redirect: HttpRoute;

  constructor(scope: Construct, id: string, props: GravlGatewayProps) {
    super(scope, id);
    for (const route of props.routes) props.network.allow(props.dataPlane, route.workload, [route.port]);
    const labels = { 'app.kubernetes.io/name': EDGE_NAME, 'app.kubernetes.io/component': 'edge' };
    const sameNamespace = { namespaces: { from: GatewaySpecListenersAllowedRoutesNamespacesFrom.SAME } };
    this.gateway = new Gateway(this, 'gateway', {
      metadata: {
        name: EDGE_NAME,
        namespace: props.namespace,
        labels,
        annotations: {
          ...(props.clusterIssuer ? { 'cert-manager.io/cluster-issuer': props.clusterIssuer } : {}),
          [DATA_PLANE_ANNOTATION]: formatDataPlane(props.dataPlane),
        },
      },
      spec: {
        gatewayClassName: props.className,
        listeners: [
          { name: HTTP_LISTENER, protocol: 'HTTP', port: 80, hostname: props.host, allowedRoutes: sameNamespace },
          {
            name: HTTPS_LISTENER,
            protocol: 'HTTPS',
            port: 443,
            hostname: props.host,
            tls: { mode: GatewaySpecListenersTlsMode.TERMINATE, certificateRefs: [{ kind: 'Secret', name: props.tlsSecretName }] },
            allowedRoutes: sameNamespace,
          },
        ],
      },
    });
    const parent = (sectionName: string) => [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: EDGE_NAME, sectionName }];
    // Plain HTTP answers only with a redirect; cert-manager's HTTP-01 solver route matches its
    // exact challenge path, which is more specific, so challenges still reach the solver.
    this.redirect = new HttpRoute(this, 'redirect', {
      metadata: { name: `${EDGE_NAME}-https-redirect`, namespace: props.namespace, labels },
      spec: {
        parentRefs: parent(HTTP_LISTENER),
        hostnames: [props.host],
        rules: [
          {
            filters: [
              {
                type: HttpRouteSpecRulesFiltersType.REQUEST_REDIRECT,
                requestRedirect: { scheme: HttpRouteSpecRulesFiltersRequestRedirectScheme.HTTPS, statusCode: HttpRouteSpecRulesFiltersRequestRedirectStatusCode.VALUE_301 },
              },
            ],
          },
        ],
      },
    });
    const filters: HttpRouteSpecRulesFilters[] = props.hsts
      ? [{ type: HttpRouteSpecRulesFiltersType.RESPONSE_HEADER_MODIFIER, responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: hstsHeader(props.hsts) }] } }]
      : [];
    this.route = new HttpRoute(this, 'route', {
      metadata: { name: EDGE_NAME, namespace: props.namespace, labels },
      spec: {
        parentRefs: parent(HTTPS_LISTENER),
        hostnames: [props.host],
        rules: props.routes.map((route) => ({
          matches: [{ path: { type: HttpRouteSpecRulesMatchesPathType.PATH_PREFIX, value: route.path } }],
          ...(filters.length ? { filters } : {}),
          backendRefs: [{ kind: 'Service', name: route.workload.serviceName, port: route.workload.servicePort(route.port) }],
        })),
      },
    });
  }
}
