/**
 * Ingress `gravl`: the public host under TLS, with its certificate issued by cert-manager from the
 * ClusterIssuer the environment names, and plain HTTP redirected to HTTPS. HSTS comes with TLS on
 * the stock ingress-nginx controller (its `hsts` setting is on by default: one year,
 * includeSubDomains), see README.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { ServiceDeployment } from './service-deployment';

/** A path prefix and the Service port that serves it. */
export interface IngressRoute {
  readonly path: string;
  readonly workload: ServiceDeployment;
  /** Name of the Service port. */
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
}

export class GravlIngress extends Construct {
  readonly resource: k8s.KubeIngress;
  readonly host: string;

  constructor(scope: Construct, id: string, props: GravlIngressProps) {
    super(scope, id);
    this.host = props.host;
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
                backend: { service: { name: route.workload.service.name, port: { number: route.workload.servicePort(route.port) } } },
              })),
            },
          },
        ],
      },
    });
  }
}
