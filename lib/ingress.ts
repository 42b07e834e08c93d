/**
 * Ingress `gravl`: the public host under TLS, with its certificate issued by cert-manager from the
 * ClusterIssuer the environment names, and plain HTTP redirected to HTTPS. HSTS comes with TLS on
 * the stock ingress-nginx controller (its `hsts` setting is on by default: one year,
 * includeSubDomains), see README.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { NetworkPolicies } from './network/network-policies';
import type { ForeignPods, NetworkMember } from './network/peers';
import type { ServiceDeployment } from './service-deployment';

/** A path prefix and the Service port that serves it. */
export interface IngressRoute {
  readonly path: string;
  readonly workload: ServiceDeployment;
  /** Name of the Service port (the container port of the same name receives the traffic). */
  readonly port: string;
}

export interface GravlIngressProps {
  readonly namespace: string;
  readonly host: string;
  /** ClusterIssuer that cert-manager issues the certificate from. */
  readonly clusterIssuer: string;
  /** Secret cert-manager writes the certificate to. */
  readonly tlsSecretName: string;
  /** Path prefixes in any order: ingress-nginx matches the longest prefix first. */
  readonly routes: readonly IngressRoute[];
  /** @default nginx */
  readonly ingressClassName?: string;
  /** The ingress controller's pods: the only callers of the routes' workloads from outside. */
  readonly controller: ForeignPods;
  readonly network: NetworkPolicies;
}

/** Port of the pods cert-manager starts to answer HTTP-01 challenges. */
export const ACME_SOLVER_PORT = 8089;

export class GravlIngress extends Construct {
  readonly resource: k8s.KubeIngress;
  readonly host: string;

  /** The HTTP-01 solver pods cert-manager starts in this namespace while it proves the host. */
  readonly acmeSolver: NetworkMember;

  constructor(scope: Construct, id: string, props: GravlIngressProps) {
    super(scope, id);
    this.host = props.host;
    // The controller forwards each route to its workload, and the ACME challenge of the host to
    // the solver pods; no one else reaches them from outside the namespace.
    for (const route of props.routes) props.network.allow(props.controller, route.workload, [route.port]);
    this.acmeSolver = {
      name: 'acme-http01-solver',
      namespace: props.namespace,
      selector: { 'acme.cert-manager.io/http01-solver': 'true' },
      ports: [{ name: 'http', containerPort: ACME_SOLVER_PORT }],
    };
    props.network.addMember(this.acmeSolver);
    props.network.allow(props.controller, this.acmeSolver, ['http']);
    this.resource = new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: 'gravl',
        namespace: props.namespace,
        labels: { 'app.kubernetes.io/name': 'gravl', 'app.kubernetes.io/component': 'ingress' },
        annotations: {
          'cert-manager.io/cluster-issuer': props.clusterIssuer,
          'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
          'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
        },
      },
      spec: {
        ingressClassName: props.ingressClassName ?? 'nginx',
        tls: [{ hosts: [props.host], secretName: props.tlsSecretName }],
        rules: [
          {
            host: props.host,
            http: {
              paths: props.routes.map((route) => ({
                path: route.path,
                pathType: 'Prefix',
                backend: { service: { name: route.workload.serviceName, port: { number: route.workload.servicePort(route.port) } } },
              })),
            },
          },
        ],
      },
    });
  }
}
