/**
 * The ClusterIssuers of a cluster: Let's Encrypt production and staging (ACME, HTTP-01 through
 * ingress-nginx, DNS-01 through Cloudflare for wildcard names where enabled), a self-signed issuer,
 * and an internal CA issuer. The CA issuer is only emitted together with the Certificate that
 * produces its CA secret: in the seeds it was applied without one and stayed Ready=False.
 */
import { Construct } from 'constructs';
import {
  Certificate,
  CertificateSpecPrivateKeyAlgorithm,
  CertificateSpecPrivateKeyRotationPolicy,
  ClusterIssuer,
  type ClusterIssuerSpecAcmeSolvers,
} from '../../../imports/cert-manager.io';
import type { Secrets } from '../../kit/secrets';
import { provided } from '../../model/credentials';

const ACME_SERVERS = {
  'letsencrypt-prod': 'https://acme-v02.api.letsencrypt.org/directory',
  'letsencrypt-staging': 'https://acme-staging-v02.api.letsencrypt.org/directory',
} as const;

/** DNS-01 through Cloudflare, used for wildcard names (HTTP-01 cannot prove those). */
export interface CloudflareDns01 {
  /** Zones whose wildcard names are solved by DNS-01, e.g. gravl.app. */
  readonly zones: readonly string[];
  /** Secret, in the cert-manager namespace, with key `api-token`. */
  readonly apiTokenSecret: string;
}

export interface InternalCa {
  /**
   * selfSigned: the root is issued in-cluster by selfsigned-issuer and its key never leaves the
   * cluster; sealed: the CA key pair comes from the sealed values (keys tls.crt and tls.key).
   */
  readonly source: 'selfSigned' | 'sealed';
  readonly commonName: string;
  /** Lifetime of the root certificate, in hours (e.g. 87600h). */
  readonly duration: string;
}

/** How cert-manager answers HTTP-01 challenges: through a Gateway's HTTP listener (cert-manager's Gateway API support), or an Ingress of a class. */
export type Http01Solver =
  | { readonly kind: 'gateway'; readonly gateway: { readonly name: string; readonly namespace: string; readonly sectionName: string } }
  | { readonly kind: 'ingress'; readonly ingressClassName: string };

export interface ClusterIssuersProps {
  /** Contact for Let's Encrypt expiry notices. */
  readonly acmeEmail: string;
  /** How the ACME issuers answer HTTP-01 challenges: through the edge that serves the host. */
  readonly http01: Http01Solver;
  /** @default HTTP-01 only */
  readonly cloudflare?: CloudflareDns01;
  /**
   * The internal CA root, issued by the self-signed issuer; without it no internal-ca-issuer.
   * @default no internal CA
   */
  readonly internalCa?: InternalCa;
  /** Namespace cert-manager reads ClusterIssuer secrets from (its cluster resource namespace). */
  readonly certManagerNamespace: string;
  /** Where the secrets the issuers read come from. */
  readonly secrets: Secrets;
}

/** Secret holding the internal CA's key and certificate. */
export const INTERNAL_CA_SECRET = 'gravl-internal-ca';

export class ClusterIssuers extends Construct {
  /** The Certificate that produces the internal CA secret, when the internal CA is issued in-cluster. */
  readonly internalCaCertificate?: Certificate;

  constructor(scope: Construct, id: string, props: ClusterIssuersProps) {
    super(scope, id);
    for (const name of ['letsencrypt-prod', 'letsencrypt-staging'] as const) {
      const http01 = props.http01;
      const solvers: ClusterIssuerSpecAcmeSolvers[] = [
        {
          http01:
            http01.kind === 'gateway'
              ? { gatewayHttpRoute: { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: http01.gateway.name, namespace: http01.gateway.namespace, sectionName: http01.gateway.sectionName }] } }
              : { ingress: { ingressClassName: http01.ingressClassName } },
        },
      ];
      if (props.cloudflare) {
        props.secrets.require({ namespace: props.certManagerNamespace, name: props.cloudflare.apiTokenSecret, keys: { 'api-token': provided('api-token') }, consumer: `ClusterIssuer ${name}` });
        solvers.push({
          selector: { dnsNames: props.cloudflare.zones.map((zone) => `*.${zone}`) },
          dns01: { cloudflare: { apiTokenSecretRef: { name: props.cloudflare.apiTokenSecret, key: 'api-token' } } },
        });
      }
      new ClusterIssuer(this, name, {
        metadata: { name },
        spec: {
          acme: {
            server: ACME_SERVERS[name],
            email: props.acmeEmail,
            privateKeySecretRef: { name: `${name}-account-key` },
            solvers,
          },
        },
      });
    }

    const selfSigned = new ClusterIssuer(this, 'selfsigned-issuer', {
      metadata: { name: 'selfsigned-issuer' },
      spec: { selfSigned: {} },
    });

    if (props.internalCa) {
      if (props.internalCa.source === 'sealed') {
        props.secrets.require({
          namespace: props.certManagerNamespace,
          name: INTERNAL_CA_SECRET,
          keys: { 'tls.crt': provided('pem'), 'tls.key': provided('pem') },
          type: 'kubernetes.io/tls',
          consumer: 'ClusterIssuer internal-ca-issuer',
        });
      } else {
        this.internalCaCertificate = new Certificate(this, 'internal-ca', {
          metadata: { name: INTERNAL_CA_SECRET, namespace: props.certManagerNamespace },
          spec: {
            isCa: true,
            commonName: props.internalCa.commonName,
            secretName: INTERNAL_CA_SECRET,
            duration: props.internalCa.duration,
            renewBefore: '720h',
            privateKey: { algorithm: CertificateSpecPrivateKeyAlgorithm.ECDSA, size: 256, rotationPolicy: CertificateSpecPrivateKeyRotationPolicy.ALWAYS },
            issuerRef: { name: selfSigned.name, kind: 'ClusterIssuer', group: 'cert-manager.io' },
          },
        });
      }
      const ca = new ClusterIssuer(this, 'internal-ca-issuer', {
        metadata: { name: 'internal-ca-issuer' },
        spec: { ca: { secretName: INTERNAL_CA_SECRET } },
      });
      if (this.internalCaCertificate) ca.node.addDependency(this.internalCaCertificate);
    }
  }
}
