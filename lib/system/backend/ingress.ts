/**
 * The legacy Ingress `gravl`, for clusters that still run ingress-nginx (retired by Kubernetes SIG
 * Network in March 2026: no fixes since). The public host under TLS, with its certificate issued
 * by cert-manager from the ClusterIssuer the environment names, and plain HTTP redirected to HTTPS.
 * HSTS is the controller's own setting (ingress-nginx's `hsts`, on by default with
 * includeSubDomains): an Ingress cannot set it without snippet annotations, which the stock
 * install refuses. The Gateway API edge (./gateway.ts) replaces it.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { EdgeRoute } from './gateway';
import { EDGE_NAME } from '../names';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ForeignPods } from '../../kit/network/peers';
import { DATA_PLANE_ANNOTATION, formatDataPlane } from '../../contract';

export interface GravlIngressProps {
  readonly namespace: string;
  readonly host: string;
  /** ClusterIssuer that cert-manager issues the certificate from. */
  readonly clusterIssuer: string;
  /** Secret cert-manager writes the certificate to. */
  readonly tlsSecretName: string;
  /** Path prefixes in any order: ingress-nginx matches the longest prefix first. */
  readonly routes: readonly EdgeRoute[];
  readonly ingressClassName: string;
  /** The ingress controller's pods: the only callers of the routes' workloads from outside. */
  readonly controller: ForeignPods;
  readonly network: NetworkPolicies;
}

export class GravlIngress extends Construct {
  readonly resource: k8s.KubeIngress;

  constructor(scope: Construct, id: string, props: GravlIngressProps) {
    super(scope, id);
    for (const route of props.routes) props.network.allow(props.controller, route.workload, [route.port]);
    this.resource = new k8s.KubeIngress(this, 'ingress', {
      metadata: {
        name: EDGE_NAME,
        namespace: props.namespace,
        labels: { 'app.kubernetes.io/name': EDGE_NAME, 'app.kubernetes.io/component': 'ingress' },
        annotations: {
          'cert-manager.io/cluster-issuer': props.clusterIssuer,
          'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
          'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
          [DATA_PLANE_ANNOTATION]: formatDataPlane(props.controller),
        },
      },
      spec: {
        ingressClassName: props.ingressClassName,
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
