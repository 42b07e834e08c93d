/**
 * The contract between what renders and what reviews: the names the constructs write into the
 * output and the review tools (inspect, diff, readiness) read back from it. Plain data and pure
 * functions only; it imports nothing of lib/, so both sides depend on it and never on each other.
 *
 * - Labels and annotations: what the constructs mark objects with for the reviewers to find.
 * - The dist/ layout: the objects, files and folders of a rendered environment.
 * - Names in rendered configuration: the load test's script and summary, the edge's scrape jobs.
 * - Database roles: the least-privilege roles and the Secrets that hold their passwords.
 */

// ---- Labels and annotations ----

/** On the app namespace: the environment's name. */
export const ENVIRONMENT_LABEL = 'gravl.app/environment';
/** On the app namespace: "true" where the production bar applies. */
export const PRODUCTION_LABEL = 'gravl.app/production';
/** On the app namespace: the StorageClasses the cluster has, comma-separated (readiness checks every claim against them). */
export const STORAGE_CLASSES_ANNOTATION = 'gravl.app/storage-classes';

/** The six Kubernetes recommended label keys, in the order the docs list them: on every object and pod template. */
export const RECOMMENDED_LABELS: readonly string[] = Object.freeze(['name', 'instance', 'version', 'component', 'part-of', 'managed-by'].map((k) => `app.kubernetes.io/${k}`));

/** On a node agent: why it has host access (the value every policy tool's exemption carries). */
export const HOST_ACCESS_ANNOTATION = 'gravl.app/host-access';

/**
 * On a workload without a PodDisruptionBudget: the written decision why (readiness and the tests
 * require a budget or this, for every workload).
 */
export const DISRUPTION_ANNOTATION = 'gravl.app/disruption-decision';

/**
 * On the Gateway (and the legacy Ingress): the pods that carry its traffic, as
 * `<namespace>/<label>=<value>,...` ({@link formatDataPlane}), so that readiness can judge the
 * NetworkPolicies from the output alone.
 */
export const DATA_PLANE_ANNOTATION = 'gravl.app/data-plane';

/** Pods outside the output, by namespace and labels. */
export interface PodsRef {
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
}

/** `ingress-nginx/app.kubernetes.io/name=ingress-nginx`, labels in key order. */
export function formatDataPlane(pods: PodsRef): string {
  return `${pods.namespace}/${Object.keys(pods.podLabels).sort().map((k) => `${k}=${pods.podLabels[k]}`).join(',')}`;
}

/** The inverse of {@link formatDataPlane}; undefined for anything else. */
export function parseDataPlane(text: string | undefined): PodsRef | undefined {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/(.+)$/.exec(text ?? '');
  if (!match) return undefined;
  const podLabels: Record<string, string> = {};
  for (const pair of match[3]!.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) return undefined;
    podLabels[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return { namespace: match[1]!, podLabels };
}

// What a SealedSecret records about its keys (written by the secrets mechanism, read by readiness).

/** Annotation prefix recording when each key was last rotated (`YYYY-MM-DD`). */
export const ROTATED_ANNOTATION_PREFIX = 'rotated.gravl.app/';
/** Annotation prefix: each key's declared class, `generated` or `provided/<form>`. */
export const CREDENTIAL_ANNOTATION_PREFIX = 'credential.gravl.app/';
/** Annotation prefix: how each key's value was made, `generated`, `provided`, `missing` or `unknown`. */
export const ORIGIN_ANNOTATION_PREFIX = 'origin.gravl.app/';
/** Annotation prefix: the fingerprint of the certificate each key was sealed for (`sha256:<hex>` or `unknown`). */
export const SEALED_FOR_ANNOTATION_PREFIX = 'sealed-for.gravl.app/';
/** Annotation: the fingerprint of the environment's sealing certificate (`none` without one). */
export const CERTIFICATE_ANNOTATION = 'sealing.gravl.app/certificate';
/** Annotation: where that certificate came from: `fetched`, `stand-in`, `unknown` or `none`. */
export const CERTIFICATE_PROVENANCE_ANNOTATION = 'sealing.gravl.app/certificate-provenance';
/** Annotation: the environment the values were sealed for, to name `npm run seal -- --env` in messages. */
export const SEALED_ENVIRONMENT_ANNOTATION = 'sealing.gravl.app/environment';

// ---- The dist/ layout ----

/** A rendered Kubernetes object, as plain JSON. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels?: Record<string, string>; readonly annotations?: Record<string, string> };
  readonly [field: string]: unknown;
}

/** `Kind namespace/name`, or `Kind name` for cluster-scoped objects. */
export function objectId(o: KubeObject): string {
  return o.metadata.namespace ? `${o.kind} ${o.metadata.namespace}/${o.metadata.name}` : `${o.kind} ${o.metadata.name}`;
}

/** A manifest file of dist/ and the objects in it, in document order. */
export interface ManifestFile {
  /** The path below dist/<env>/: `0003-backend.k8s.yaml`, `manual/load-test.k8s.yaml`. */
  readonly name: string;
  readonly objects: readonly KubeObject[];
}

/** A file of dist/ as text. */
export interface RenderedFile {
  /** The path below dist/<env>/ (or below dist/ for the shared files). */
  readonly name: string;
  readonly content: string;
}

/** The file of dist/<env>/ that lists the chart files in apply order. */
export const KUSTOMIZATION_FILE = 'kustomization.yaml';
/** The file of dist/<env>/ that holds the environment's go/no-go matrix and network picture. */
export const READINESS_FILE = 'READINESS.md';
/** The ending of every manifest file the generator writes (`NNNN-<chart>.k8s.yaml`, in apply order). */
export const MANIFEST_SUFFIX = '.k8s.yaml';
/** Folder of dist/<env>/ that holds the manual charts: applied on purpose only, never by a sync. */
export const MANUAL_DIR = 'manual';
/** Folder of dist/ that holds the Argo CD Applications and their projects. */
export const ARGOCD_DIR = 'argocd';
/** Argo CD applies lower waves first and waits for them to be healthy: each object carries its file's index. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

// ---- Names in rendered configuration ----

/** The first line of the load test's script (`load-test.js`): its k6 options, as one line of JSON. */
export const LOAD_TEST_OPTIONS_PREFIX = 'export const options = ';
/** The request durations of the public host alone (a k6 sub-metric, in the thresholds and the summary). */
export const PUBLIC_DURATION_METRIC = 'http_req_duration{scope:public}';
/** The requests to the public host alone: its `rate` is the throughput achieved. */
export const PUBLIC_REQUESTS_METRIC = 'http_reqs{scope:public}';

/**
 * What serves the public host, scraped where it runs (outside the output: the environment's edge
 * settings name its namespace and pod labels): the Prometheus job, and the port and path the
 * software serves its metrics on. Envoy Gateway's proxies serve Envoy's stats on their stock
 * Prometheus port; the ingress-nginx controller on its stock metrics port.
 */
export const EDGE_SCRAPE = {
  gateway: { job: 'edge-gateway', port: 19001, path: '/stats/prometheus' },
  ingress: { job: 'edge-ingress', port: 10254, path: '/metrics' },
} as const;

/** An edge implementation Prometheus scrapes. */
export type EdgeScrapeKind = keyof typeof EDGE_SCRAPE;

// ---- Database roles ----
// Each workload connects as the least role it needs; only the role Job connects as the superuser
// of the official image (`POSTGRES_USER`).

/** The roles roles.sh keeps, least powerful first: readiness and the diff rank a workload's role by this order. */
export const DATABASE_ROLES = ['monitoring', 'backup', 'app', 'owner'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

/** The role a login name is, by its suffix; undefined for any other name. */
export function databaseRoleOf(user: string): DatabaseRole | undefined {
  return DATABASE_ROLES.find((role) => user.endsWith(`_${role}`));
}

/** A role's power: its index in DATABASE_ROLES; the superuser is above them all. */
export function databaseRoleRank(role: DatabaseRole | 'superuser'): number {
  return role === 'superuser' ? DATABASE_ROLES.length : DATABASE_ROLES.indexOf(role);
}

/** The component label of the role Job: the one workload that may hold the superuser password. */
export const DATABASE_ROLES_COMPONENT = 'database-roles';

/** The libpq and postgres_exporter variables that name the user a container connects as. */
export const DATABASE_USER_VARIABLES: readonly string[] = Object.freeze(['PGUSER', 'DATA_SOURCE_USER']);

/**
 * Said after a command that seals the database superuser's key again, as a shell comment: on a
 * database that exists already, a new password must be set in the database first and a new name
 * would lock the role Job out (POSTGRES_USER is read only when the database is created).
 */
export const SUPERUSER_RESEAL_NOTE: Readonly<Record<string, string>> = {
  password: '# a database that exists already: set it there first, as docs/database-roles.md, "Passwords and rotation", says',
  username: '# a database that exists already: seal its current name (< FILE), never a new one',
};

/**
 * The ports an edge's data-plane pods listen on, as NetworkPolicies see them (after the Service's
 * translation): Envoy Gateway runs its proxies unprivileged and moves a listener port below 1024 up
 * by 10000 in the container (80 -> 10080, 443 -> 10443); ingress-nginx binds 80 and 443 themselves.
 */
export const DATA_PLANE_PORTS = {
  gateway: { http: 10080, https: 10443 },
  ingress: { http: 80, https: 443 },
} as const;

