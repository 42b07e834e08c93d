/**
 * Checks that a schema cannot express: relations between fields, and the production bar. They
 * walk the whole file where a rule is about a kind of field (every `storageClassName`, every
 * `image`, every requests/limits pair), so a section added later is covered without a new rule.
 * They run even when the file breaks the schema, so every problem is reported at once: each rule
 * reads only values of the type it needs and skips the rest.
 */
import { ISSUER_NAMES } from './issuer-names';
import { isRecord } from './json';
import { CLUSTER_DEFAULTS, EDGE_DEFAULTS, FEATURE_DEFAULTS, GITOPS_DEFAULTS } from './defaults';
import { HOUR_MS, isDnsLabel, parseDuration, parseImage, parseQuantity } from './formats';

/** Gateway API (v1.1 and later) supports Kubernetes 1.26 and later. */
export const GATEWAY_API_MIN_MINOR = 26;
/** A year: the least max-age production's HSTS may ask for. */
export const HSTS_PRODUCTION_MAX_AGE = 31_536_000;

/** The sections of the horizontally scaled workloads, whose replica count an HPA may own. */
export const SCALED_WORKLOADS = ['backend', 'frontend'] as const;

/** Loki's index period: a table per day. Its compactor deletes whole tables, so retention is a whole number of them. */
export const LOKI_INDEX_PERIOD_HOURS = 24;

/** Retention Loki accepts: a whole number of index periods (days), at least one; what is expected otherwise. */
export function lokiRetentionProblem(value: string): string | undefined {
  const ms = parseDuration(value);
  if (ms === undefined) return 'a duration such as 168h, 30d or 2w (units y, w, d, h, m, s, ms, largest first)';
  const period = LOKI_INDEX_PERIOD_HOURS * HOUR_MS;
  if (ms < period || ms % period !== 0) return `a whole number of days, at least 24h (the index period is ${LOKI_INDEX_PERIOD_HOURS}h), such as 168h or 30d`;
  return undefined;
}

export interface RuleProblem {
  readonly path: readonly (string | number)[];
  readonly message: string;
}

type Visit = (value: unknown, path: readonly (string | number)[]) => void;

function walk(value: unknown, visit: Visit, path: readonly (string | number)[] = []): void {
  visit(value, path);
  if (Array.isArray(value)) value.forEach((item, i) => walk(item, visit, [...path, i]));
  else if (value && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) walk(child, visit, [...path, key]);
  }
}


/** The value at a path, or undefined where any step is missing. */
function at(value: unknown, ...path: string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);
}

/** Every rule, over the parsed file. */
export function checkRules(spec: unknown): RuleProblem[] {
  const problems: RuleProblem[] = [];
  const declared = at(spec, 'cluster', 'storageClasses');
  const storageClasses = Array.isArray(declared) ? declared.filter((c): c is string => typeof c === 'string') : [];
  const production = at(spec, 'production') === true;

  walk(spec, (value, path) => {
    const key = path[path.length - 1];

    // The Loki incident of the seeds: a PVC that asks for a class the cluster does not have stays
    // Pending and its pod crash-loops. Every volume must name a class the file says exists.
    if (key === 'storageClassName' && typeof value === 'string' && !storageClasses.includes(value)) {
      problems.push({
        path,
        message: `found StorageClass ${JSON.stringify(value)}, which this cluster does not have; expected one of cluster.storageClasses: ${storageClasses.join(', ')}`,
      });
    }

    if (key === 'image' && typeof value === 'string' && production && !parseImage(value)?.digest) {
      problems.push({ path, message: `found ${JSON.stringify(value)} without a digest, expected a production image pinned by tag and @sha256 digest` });
    }

    if (isRecord(value) && isRecord(value.requests) && isRecord(value.limits)) {
      for (const resource of ['cpu', 'memory'] as const) {
        const request = value.requests[resource];
        const limit = value.limits[resource];
        if (typeof request !== 'string' || typeof limit !== 'string') continue;
        const requested = parseQuantity(request);
        const limited = parseQuantity(limit);
        if (requested !== undefined && limited !== undefined && requested > limited) {
          problems.push({ path: [...path, 'requests', resource], message: `found request ${request} above limit ${limit}, expected a request no larger than its limit` });
        }
      }
    }

    if (key === 'replicas' && typeof value === 'number' && production && value < 2) {
      problems.push({ path, message: `found ${value}, expected at least 2 replicas in production (with a PodDisruptionBudget)` });
    }

    if (key === 'autoscaling' && isRecord(value) && typeof value.minReplicas === 'number' && typeof value.maxReplicas === 'number') {
      const min = value.minReplicas;
      const max = value.maxReplicas;
      if (min > max) problems.push({ path: [...path, 'minReplicas'], message: `found ${min} above maxReplicas ${max}, expected minReplicas <= maxReplicas` });
      if (production && min < 2) problems.push({ path: [...path, 'minReplicas'], message: `found ${min}, expected at least 2 in production` });
    }
  });

  // A replica count that an HPA owns does nothing (the Deployment renders none): refuse it rather
  // than let someone raise it in an incident and wonder why nothing happens.
  const autoscaled = at(spec, 'features', 'autoscaling') === true;
  for (const workload of SCALED_WORKLOADS) {
    const section = at(spec, workload);
    if (!isRecord(section)) continue;
    const hpa = autoscaled && isRecord(section.autoscaling);
    if (hpa && section.replicas !== undefined) {
      problems.push({
        path: [workload, 'replicas'],
        message: `found ${JSON.stringify(section.replicas)}, which does nothing: features.autoscaling is on and ${workload}.autoscaling gives an HPA the replica count; expected no replicas (set ${workload}.autoscaling.minReplicas instead)`,
      });
    }
    if (!hpa && section.replicas === undefined) {
      problems.push({ path: [workload, 'replicas'], message: `found nothing, expected the replica count of ${workload} (no HPA manages it${autoscaled ? `: ${workload}.autoscaling is not set` : ': features.autoscaling is off'})` });
    }
  }

  // A promoted environment follows a ref that only npm run promote moves: were it the mainline,
  // every commit would reach it at once and the gate it is promoted from would verify nothing.
  const gitops = at(spec, 'gitops');
  if (isRecord(gitops) && typeof gitops.promotedFrom === 'string') {
    const mainline = typeof gitops.mainline === 'string' ? gitops.mainline : GITOPS_DEFAULTS.mainline;
    const target = typeof gitops.targetRevision === 'string' ? gitops.targetRevision : GITOPS_DEFAULTS.targetRevision;
    if (target === mainline) {
      problems.push({ path: ['gitops', 'targetRevision'], message: `found ${JSON.stringify(target)}, the mainline, with promotedFrom ${JSON.stringify(gitops.promotedFrom)}; expected a ref only npm run promote moves (such as production)` });
    }
  }

  // The load test ramps up to its peak, never down to it.
  const rate = at(spec, 'loadTest', 'rate');
  const peak = at(spec, 'loadTest', 'peakRate');
  if (typeof rate === 'number' && typeof peak === 'number' && !(peak > rate)) {
    problems.push({ path: ['loadTest', 'peakRate'], message: `found ${peak}, expected more requests a second than loadTest.rate (${rate}), or no peakRate for a constant rate` });
  }

  // The edge: Gateway API needs a cluster that can run its CRDs; HSTS is decided per environment.
  const edgeKind = at(spec, 'edge', 'kind') ?? EDGE_DEFAULTS.kind;
  const version = at(spec, 'cluster', 'kubernetesVersion');
  const minor = Number((typeof version === 'string' ? version : CLUSTER_DEFAULTS.kubernetesVersion).split('.')[1]);
  if (edgeKind !== 'ingress' && Number.isInteger(minor) && minor < GATEWAY_API_MIN_MINOR) {
    problems.push({
      path: ['cluster', 'kubernetesVersion'],
      message: `found ${JSON.stringify(version)}, expected 1.${GATEWAY_API_MIN_MINOR} or later for the Gateway API edge (edge.kind ${JSON.stringify(edgeKind)}), or edge.kind "ingress"`,
    });
  }
  // Envoy Gateway labels the proxies of a Gateway with the Gateway's namespace: a copied file that
  // keeps another environment's would open this one's policies to that one's proxies, and scrape them.
  const OWNING_NAMESPACE = 'gateway.envoyproxy.io/owning-gateway-namespace';
  const podLabels = at(spec, 'edge', 'gateway', 'dataPlane', 'podLabels');
  const namespace = at(spec, 'namespace');
  // (A namespace that is no DNS label is the schema's to refuse, once.)
  if (edgeKind !== 'ingress' && isRecord(podLabels) && typeof namespace === 'string' && isDnsLabel(namespace) && podLabels[OWNING_NAMESPACE] !== undefined && podLabels[OWNING_NAMESPACE] !== namespace) {
    problems.push({
      path: ['edge', 'gateway', 'dataPlane', 'podLabels', OWNING_NAMESPACE],
      message: `found ${JSON.stringify(podLabels[OWNING_NAMESPACE])}, expected ${JSON.stringify(namespace)}, the namespace of this environment's Gateway (Envoy Gateway labels its proxies with it)`,
    });
  }
  const hsts = at(spec, 'edge', 'hsts');
  if (isRecord(hsts) && typeof hsts.maxAge === 'number') {
    if (production && hsts.maxAge < HSTS_PRODUCTION_MAX_AGE) {
      problems.push({ path: ['edge', 'hsts', 'maxAge'], message: `found ${hsts.maxAge}, expected at least ${HSTS_PRODUCTION_MAX_AGE} (a year) in production` });
    }
    if (hsts.preload === true && (hsts.includeSubDomains !== true || hsts.maxAge < HSTS_PRODUCTION_MAX_AGE)) {
      problems.push({ path: ['edge', 'hsts', 'preload'], message: `found true, expected includeSubDomains: true and maxAge of at least ${HSTS_PRODUCTION_MAX_AGE} with it (what browsers' preload lists require)` });
    }
  } else if (production && hsts === undefined) {
    problems.push({ path: ['edge', 'hsts'], message: `found nothing, expected the Strict-Transport-Security of production (maxAge of at least ${HSTS_PRODUCTION_MAX_AGE})` });
  }

  // Loki keeps whole index periods (days): 36h is a duration, but not one Loki can keep.
  const retention = at(spec, 'logging', 'loki', 'retention');
  const retentionProblem = typeof retention === 'string' ? lokiRetentionProblem(retention) : undefined;
  if (retentionProblem) problems.push({ path: ['logging', 'loki', 'retention'], message: `found ${JSON.stringify(retention)}, expected ${retentionProblem}` });

  const lokiPath = ['logging', 'loki', 'storage'];
  const loki = at(spec, ...lokiPath);
  if (!isRecord(loki)) {
    // the schema reports it
  } else if (loki.type === 'persistentVolumeClaim') {
    if (loki.storageClassName === undefined) problems.push({ path: [...lokiPath, 'storageClassName'], message: 'found nothing, expected the StorageClass of the PVC (one of cluster.storageClasses)' });
    if (loki.size === undefined) problems.push({ path: [...lokiPath, 'size'], message: 'found nothing, expected the size of the PVC, such as 10Gi' });
  } else if (loki.storageClassName !== undefined) {
    problems.push({ path: [...lokiPath, 'storageClassName'], message: 'found a StorageClass on emptyDir storage, expected type persistentVolumeClaim to use a StorageClass' });
  }

  const internalCa = (at(spec, 'features', 'internalCa') ?? FEATURE_DEFAULTS.internalCa) !== false;
  const issuers: string[] = ISSUER_NAMES.filter((name) => internalCa || name !== 'internal-ca-issuer');
  const issuer = at(spec, 'tls', 'clusterIssuer');
  if (typeof issuer === 'string' && !issuers.includes(issuer)) {
    problems.push({
      path: ['tls', 'clusterIssuer'],
      message: `found ${JSON.stringify(issuer)}, expected one of the ClusterIssuers this environment defines: ${issuers.join(', ')}`,
    });
  }
  if (at(spec, 'secrets', 'provider') === 'external' && at(spec, 'secrets', 'external') === undefined) {
    problems.push({ path: ['secrets', 'external'], message: 'found nothing, expected the store, refreshInterval and keyPrefix of the External Secrets provider' });
  }
  // The production bar: dumps on a volume of the same cluster are lost with the cluster.
  if (production && at(spec, 'postgres', 'backup') !== undefined && at(spec, 'postgres', 'backup', 'objectStorage') === undefined) {
    problems.push({
      path: ['postgres', 'backup', 'objectStorage'],
      message: 'found nothing, expected the S3-compatible object storage (bucket, region, image; prefix, endpoint) that production copies every dump to off-site',
    });
  }
  if (at(spec, 'features', 'dns01') === true && at(spec, 'tls', 'acme', 'cloudflare') === undefined) {
    problems.push({ path: ['features', 'dns01'], message: 'found true without tls.acme.cloudflare, expected the Cloudflare zones for the dns01 solver' });
  }
  return problems;
}
