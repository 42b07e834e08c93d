/**
 * The environment file: one `environments/<name>.yaml` per cluster. This TypeBox schema is the
 * single source of the file's shape: ajv validates files against it, TypeScript derives the types
 * below from it, and `npm run schema` writes it as `environments/environment.schema.json` for
 * editors (a test keeps that file current).
 */
import { Type, type Static, type TObject, type TProperties, type ObjectOptions } from '@sinclair/typebox';
import {
  AUTOSCALING_DEFAULTS,
  BACKEND_DEFAULTS,
  BACKUP_DEFAULTS,
  CLUSTER_DEFAULTS,
  DATABASE_DEFAULTS,
  EDGE_DEFAULTS,
  FEATURE_DEFAULTS,
  GITOPS_DEFAULTS,
  HSTS_DEFAULTS,
  TLS_DEFAULTS,
} from './defaults';


/** A string from a closed list, written as `enum` so that a wrong value gives one error, not one per option. */
function OneOf<T extends string>(values: readonly T[], description?: string) {
  return Type.Unsafe<T>({ type: 'string', enum: values, ...(description ? { description } : {}) });
}

/** An object that rejects keys it does not declare. */
function Strict<T extends TProperties>(properties: T, options: ObjectOptions = {}): TObject<T> {
  return Type.Object(properties, { additionalProperties: false, ...options });
}

const Cpu = Type.String({ format: 'k8s-cpu', description: 'CPU quantity, e.g. 250m or 1' });
const Bytes = Type.String({ format: 'k8s-bytes', description: 'Memory or storage quantity, e.g. 512Mi or 2Gi' });
const Image = Type.String({
  format: 'pinned-image',
  description: 'Image reference pinned to a version tag and, where the environment is production, a sha256 digest',
});
const DnsLabel = Type.String({ format: 'dns-label' });
const Duration = Type.String({ format: 'duration' });

const ResourceAmounts = Strict({ cpu: Cpu, memory: Bytes });

/** Requests and limits of one container. */
export const ResourcesSchema = Strict(
  { requests: ResourceAmounts, limits: ResourceAmounts },
  { description: 'Requests and limits; every container has both' },
);

const Autoscaling = Strict(
  {
    minReplicas: Type.Integer({ minimum: 1 }),
    maxReplicas: Type.Integer({ minimum: 1 }),
    targetCPUUtilizationPercentage: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: AUTOSCALING_DEFAULTS.targetCPUUtilizationPercentage })),
  },
  { description: 'HorizontalPodAutoscaler bounds, used where features.autoscaling is on' },
);

/** A component of the platform: its pinned image and its container's resources, plus its own settings. */
function Component<T extends TProperties>(properties: T) {
  return Strict({ image: Image, resources: ResourcesSchema, ...properties });
}

/** A long-running, horizontally scaled workload (backend, frontend). */
const ScaledWorkload = Strict({
  image: Image,
  replicas: Type.Optional(
    Type.Integer({
      minimum: 0,
      description: 'Replicas when no HPA manages the Deployment; required then, and refused where features.autoscaling and autoscaling hand the count to an HPA',
    }),
  ),
  resources: ResourcesSchema,
  autoscaling: Type.Optional(Autoscaling),
});

/** cron: minute hour day-of-month month day-of-week, in UTC. */
const CronSchedule = Type.String({ pattern: '^\\S+( \\S+){4}$', description: 'cron schedule in UTC: minute hour day-of-month month day-of-week' });

const PodLabels = Type.Record(Type.String({ minLength: 1 }), Type.String(), { minProperties: 1 });

/** Pods of a component this generator does not deploy: the NetworkPolicies open the flows to them. */
function Pods(defaults: { readonly namespace: string; readonly podLabels: Readonly<Record<string, string>> }, description: string) {
  return Type.Optional(
    Strict(
      {
        namespace: Type.Optional(Type.String({ format: 'dns-label', default: defaults.namespace })),
        podLabels: Type.Optional({ ...PodLabels, default: { ...defaults.podLabels } }),
      },
      { description },
    ),
  );
}

/** A persistent volume: its size and the StorageClass it asks for. */
const Volume = Strict({
  storageClassName: Type.String({ minLength: 1, description: 'Must be one of cluster.storageClasses' }),
  size: Bytes,
});

export const EnvironmentSchema = Strict(
  {
    production: Type.Boolean({
      description: 'Applies the production bar: images pinned by digest, the backend and frontend at least 2 replicas with a PodDisruptionBudget, backups copied off-site (postgres.backup.objectStorage)',
    }),
    namespace: DnsLabel,
    host: Type.String({ format: 'hostname', description: 'Public host name served by the edge' }),
    cluster: Strict({
      storageClasses: Type.Array(Type.String({ minLength: 1 }), {
        minItems: 1,
        uniqueItems: true,
        description: 'The StorageClasses this cluster has; every volume must ask for one of them',
      }),
      podSecurityVersion: Type.Optional(Type.String({ pattern: '^(v1\\.[0-9]+|latest)$', default: CLUSTER_DEFAULTS.podSecurityVersion })),
      kubernetesVersion: Type.Optional(
        Type.String({
          pattern: '^1\\.[0-9]+$',
          default: CLUSTER_DEFAULTS.kubernetesVersion,
          description: 'The minor version the cluster runs (1.28): the Gateway API edge needs 1.26 or later',
        }),
      ),
      nodeAddresses: Type.Array(Type.String({ format: 'cidr' }), {
        minItems: 1,
        description: 'Where the nodes are: Prometheus scrapes the kubelets and node-exporter there (NetworkPolicies can name hosts only by address)',
      }),
      apiServer: Strict(
        {
          addresses: Type.Array(Type.String({ format: 'cidr' }), { minItems: 1 }),
          ports: Type.Array(Type.Integer({ minimum: 1, maximum: 65535 }), { minItems: 1 }),
        },
        { description: 'Where the API server is (its endpoints, not the kubernetes Service IP), for the workloads that call it' },
      ),
      podAddresses: Type.Optional(
        Type.Array(Type.String({ format: 'cidr' }), {
          minItems: 1,
          description: 'The pod network, left out of the node and API server ranges so those rules never open pods',
        }),
      ),
    }),
    features: Type.Optional(
      Strict({
        autoscaling: Type.Optional(Type.Boolean({ default: FEATURE_DEFAULTS.autoscaling, description: 'HPA for workloads that declare autoscaling bounds' })),
        dns01: Type.Optional(Type.Boolean({ default: FEATURE_DEFAULTS.dns01, description: 'Cloudflare dns01 solver on the ACME issuers (needs tls.acme.cloudflare)' })),
        internalCa: Type.Optional(Type.Boolean({ default: FEATURE_DEFAULTS.internalCa, description: 'An internal root CA (see tls.internalCa.source) and the internal-ca-issuer ClusterIssuer' })),
      }),
    ),
    edge: Type.Optional(
      Strict(
        {
          kind: Type.Optional({
            ...OneOf(['gateway', 'ingress', 'both'] as const, 'gateway: Gateway API (Gateway and HTTPRoutes); ingress: the legacy Ingress for a cluster that still runs ingress-nginx (retired in March 2026); both: the two side by side while DNS moves'),
            default: EDGE_DEFAULTS.kind,
          }),
          gateway: Type.Optional(
            Strict(
              {
                className: Type.Optional(Type.String({ format: 'dns-label', default: EDGE_DEFAULTS.gateway.className, description: 'The GatewayClass of the implementation' })),
                dataPlane: Pods(EDGE_DEFAULTS.gateway.dataPlane, "The implementation's data plane pods (default: Envoy Gateway's proxies)"),
              },
              { description: 'The Gateway API implementation (default: Envoy Gateway)' },
            ),
          ),
          ingress: Type.Optional(
            Strict(
              {
                className: Type.Optional(Type.String({ format: 'dns-label', default: EDGE_DEFAULTS.ingress.className })),
                controller: Pods(EDGE_DEFAULTS.ingress.controller, "The ingress controller's pods (default: the stock ingress-nginx)"),
              },
              { description: 'The legacy Ingress controller' },
            ),
          ),
          hsts: Type.Optional(
            Strict(
              {
                maxAge: Type.Integer({ minimum: 0, description: 'Seconds browsers keep to HTTPS (production: at least a year, 31536000)' }),
                includeSubDomains: Type.Optional(Type.Boolean({ default: HSTS_DEFAULTS.includeSubDomains, description: 'Also every subdomain: refused while another environment serves a subdomain of this host' })),
                preload: Type.Optional(Type.Boolean({ default: HSTS_DEFAULTS.preload, description: 'Ask browsers to ship the host in their preload list (needs includeSubDomains and a year)' })),
              },
              { description: 'The Strict-Transport-Security header the Gateway route sends (none when left out)' },
            ),
          ),
        },
        { description: 'Where the public host enters the cluster' },
      ),
    ),
    tls: Strict({
      clusterIssuer: Type.String({ minLength: 1, description: 'ClusterIssuer that issues the certificate of the host' }),
      secretName: Type.Optional(Type.String({ format: 'dns-label', default: TLS_DEFAULTS.secretName })),
      certManagerNamespace: Type.Optional(Type.String({ format: 'dns-label', default: TLS_DEFAULTS.certManagerNamespace })),
      acme: Strict({
        email: Type.String({ format: 'email' }),
        cloudflare: Type.Optional(
          Strict({
            apiTokenSecret: Type.Optional(Type.String({ format: 'dns-label', default: TLS_DEFAULTS.acme.cloudflare.apiTokenSecret })),
            zones: Type.Array(Type.String({ format: 'hostname' }), { minItems: 1, uniqueItems: true }),
          }),
        ),
      }),
      internalCa: Type.Optional(
        Strict({
          source: Type.Optional(OneOf(['selfSigned', 'sealed'] as const, 'selfSigned: a root issued in-cluster by selfsigned-issuer (its key never leaves the cluster); sealed: a CA key pair from the sealed values (secret gravl-internal-ca in the cert-manager namespace)')),
          commonName: Type.Optional(Type.String({ minLength: 1, default: TLS_DEFAULTS.internalCa.commonName })),
          duration: Type.Optional(Type.String({ pattern: '^[0-9]+h$', default: TLS_DEFAULTS.internalCa.duration })),
        }),
      ),
    }),
    secrets: Type.Optional(
      Strict(
        {
          provider: OneOf(['sealed', 'external'] as const),
          external: Type.Optional(
            Strict({
              store: Strict({ kind: OneOf(['SecretStore', 'ClusterSecretStore'] as const), name: DnsLabel }),
              refreshInterval: Duration,
              keyPrefix: Type.String({ minLength: 1, description: 'Remote keys are <keyPrefix>/<namespace>/<secret>, one property per key' }),
            }),
          ),
        },
        { description: 'How secrets reach the cluster: SealedSecrets from secrets/<env>/sealed-values.yaml (default), or ExternalSecrets from a store' },
      ),
    ),
    gitops: Strict(
      {
        repoURL: Type.String({ pattern: '^(https://|ssh://|git@)\\S+$', description: 'Git repository Argo CD reads dist/<env>/ from' }),
        targetRevision: Type.Optional(Type.String({ minLength: 1, default: GITOPS_DEFAULTS.targetRevision })),
        destinationServer: Type.Optional(Type.String({ pattern: '^https://', default: GITOPS_DEFAULTS.destinationServer })),
        project: Type.Optional(Type.String({ format: 'dns-label', description: 'The AppProject rendered for this environment (default: gravl-<env>); it permits only what the output holds' })),
        promotedFrom: Type.Optional(
          Type.String({
            format: 'dns-label',
            description: 'The environment whose gate a revision passes first: targetRevision is then a ref only npm run promote moves, to a revision on that environment\'s targetRevision',
          }),
        ),
        mainline: Type.Optional(
          Type.String({ minLength: 1, default: GITOPS_DEFAULTS.mainline, description: 'The branch reviewed changes land on: the root Application syncs dist/argocd/ from it, and npm run promote takes revisions from it' }),
        ),
        prune: Type.Optional(Type.Boolean({ default: GITOPS_DEFAULTS.prune, description: 'Argo CD deletes what git no longer holds on its own; off: those objects wait for a sync with prune by a person' })),
        argocdNamespace: Type.Optional(Type.String({ format: 'dns-label', default: GITOPS_DEFAULTS.argocdNamespace })),
        automated: Type.Optional(Type.Boolean({ default: GITOPS_DEFAULTS.automated, description: 'Sync on every commit (with self-heal and pruning); off: a person presses sync' })),
      },
      { description: 'The Argo CD Application that syncs this environment (dist/argocd/gravl-<env>.yaml)' },
    ),
    database: Strict({
      name: Type.Optional(Type.String({ pattern: '^[a-z_][a-z0-9_]*$', default: DATABASE_DEFAULTS.name })),
      credentialsSecret: Type.Optional(Type.String({ format: 'dns-label', default: DATABASE_DEFAULTS.credentialsSecret })),
    }),
    backend: Strict({
      ...ScaledWorkload.properties,
      migrationCommand: Type.Optional(
        Type.Array(Type.String({ minLength: 1 }), { minItems: 1, default: [...BACKEND_DEFAULTS.migrationCommand], description: 'Command of the backend image that applies the database migrations' }),
      ),
    }),
    frontend: ScaledWorkload,
    postgres: Strict({
      image: Image,
      resources: ResourcesSchema,
      storage: Volume,
      exporter: Strict({ image: Image, resources: ResourcesSchema }, { description: 'postgres_exporter sidecar' }),
      backup: Strict({
        schedule: Type.Optional(CronSchedule),
        retain: Type.Optional(Type.Integer({ minimum: 1, default: BACKUP_DEFAULTS.retain, description: 'How many good dumps the backup volume keeps' })),
        storage: Volume,
        restoreDrillSchedule: Type.Optional(CronSchedule),
        resources: Type.Optional(ResourcesSchema),
        objectStorage: Type.Optional(
          Strict(
            {
              bucket: Type.String({ pattern: '^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$' }),
              prefix: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9!_.*\'()/-]+$', default: BACKUP_DEFAULTS.objectStorage.prefix })),
              region: Type.String({ minLength: 1 }),
              endpoint: Type.Optional(Type.String({ pattern: '^https://' })),
              image: Image,
              credentialsSecret: Type.Optional(Type.String({ format: 'dns-label', default: BACKUP_DEFAULTS.objectStorage.credentialsSecret })),
            },
            { description: 'Also copy every dump to S3-compatible object storage, pruned to retain, and drill the off-site copy (required in production)' },
          ),
        ),
      }),
    }),
    monitoring: Strict({
      prometheus: Component({ retention: Duration, storage: Volume }),
      alertmanager: Component({
        slack: Strict({ channel: Type.String({ pattern: '^#[a-z0-9_-]+$', description: 'Channel of the incoming webhook (the URL itself is sealed)' }) }),
        email: Strict({
          to: Type.String({ format: 'email' }),
          from: Type.String({ format: 'email' }),
          smarthost: Type.String({ format: 'host-port' }),
          username: Type.Optional(Type.String({ minLength: 1, description: 'SMTP user; default the from address (the password is sealed)' })),
        }),
      }),
      grafana: Component({}),
      kubeStateMetrics: Component({}),
      nodeExporter: Component({}),
    }),
    loadTest: Component({
      vus: Type.Integer({ minimum: 1, maximum: 5000, description: 'The most virtual users k6 may run to hold the arrival rate (all pre-allocated)' }),
      duration: Duration,
      rate: Type.Integer({ minimum: 1, maximum: 100000, description: 'Requests a second started against the public host (the sign-off needs more than 100; readiness judges the rate achieved)' }),
      peakRate: Type.Optional(Type.Integer({ minimum: 1, maximum: 100000, description: 'Ramp on from rate to this many requests a second and hold it, so that the HPA scales out; default a constant rate' })),
    }),
    logging: Strict({
      loki: Component({
        retention: Duration,
        storage: Strict(
          {
            type: OneOf(['emptyDir', 'persistentVolumeClaim'] as const),
            storageClassName: Type.Optional(Volume.properties.storageClassName),
            size: Type.Optional(Bytes),
          },
          { description: 'emptyDir (logs lost on restart; size is its limit) or a PVC of size on a StorageClass the cluster has' },
        ),
      }),
      alloy: Component({}),
    }),
  },
  {
    $id: 'https://gravl.app/schemas/environment.schema.json',
    title: 'Gravl environment',
    description: 'One cluster: environments/<name>.yaml renders dist/<name>/',
  },
);

export type EnvironmentFile = Static<typeof EnvironmentSchema>;
export type Resources = Static<typeof ResourcesSchema>;
export type ScaledWorkloadSpec = Static<typeof ScaledWorkload>;
export type AutoscalingSpec = Static<typeof Autoscaling>;
