/**
 * The defaults of the environment file, one constant per section: plain data, importing nothing.
 * The schema (lib/model/schema.ts) writes them as its `default` values (what editors show and the
 * docs promise) and the code reads them wherever a key is left out; a test holds every `default`
 * of the generated JSON schema to these constants. A key marked "no schema default" is applied by
 * the code only.
 */

/**
 * The stock defaults of the edge: Envoy Gateway (a conformant Gateway API implementation of the
 * CNCF Envoy project) as its quick start installs it, and the retired ingress-nginx as its stock
 * install runs. Code and schema both read them from here.
 */
export const EDGE_DEFAULTS = {
  kind: 'gateway',
  gateway: {
    className: 'eg',
    dataPlane: {
      namespace: 'envoy-gateway-system',
      podLabels: { 'app.kubernetes.io/name': 'envoy', 'app.kubernetes.io/component': 'proxy', 'app.kubernetes.io/managed-by': 'envoy-gateway' },
    },
  },
  ingress: {
    className: 'nginx',
    controller: { namespace: 'ingress-nginx', podLabels: { 'app.kubernetes.io/name': 'ingress-nginx' } },
  },
} as const;

/** The Kubernetes version the clusters run when a file does not say. */
export const DEFAULT_KUBERNETES_VERSION = '1.28';

/** backend.autoscaling and frontend.autoscaling. */
export const AUTOSCALING_DEFAULTS = { targetCPUUtilizationPercentage: 70 } as const;

/** cluster. */
export const CLUSTER_DEFAULTS = { podSecurityVersion: 'v1.28', kubernetesVersion: DEFAULT_KUBERNETES_VERSION } as const;

/** features. */
export const FEATURE_DEFAULTS = { autoscaling: false, dns01: false, internalCa: true } as const;

/** edge.hsts (the header is sent only where the file has the section). */
export const HSTS_DEFAULTS = { includeSubDomains: false, preload: false } as const;

/** tls. */
export const TLS_DEFAULTS = {
  secretName: 'gravl-tls',
  certManagerNamespace: 'cert-manager',
  acme: { cloudflare: { apiTokenSecret: 'cloudflare-api-token' } },
  /** source: no schema default. */
  internalCa: { source: 'selfSigned', commonName: 'Gravl Internal CA', duration: '87600h' },
} as const;

/** gitops (project is computed: gravl-<env>). */
export const GITOPS_DEFAULTS = {
  targetRevision: 'main',
  destinationServer: 'https://kubernetes.default.svc',
  mainline: 'main',
  prune: true,
  argocdNamespace: 'argocd',
  automated: true,
} as const;

/** database. */
export const DATABASE_DEFAULTS = { name: 'gravl', credentialsSecret: 'gravl-db-credentials' } as const;

/** backend. */
export const BACKEND_DEFAULTS = { migrationCommand: ['npm', 'run', 'migrate'] } as const;

/** postgres.backup. */
export const BACKUP_DEFAULTS = {
  /** No schema default: 02:00 UTC every day. */
  schedule: '0 2 * * *',
  /** No schema default: Sundays 04:00 UTC. */
  restoreDrillSchedule: '0 4 * * 0',
  retain: 7,
  /** No schema default. */
  resources: { requests: { cpu: '100m', memory: '256Mi' }, limits: { cpu: '1', memory: '1Gi' } },
  objectStorage: { prefix: 'postgres', credentialsSecret: 'postgres-backup-s3' },
} as const;
