/**
 * The go/no-go matrix of the sign-off, computed from rendered YAML only (so it judges hand-edited
 * output too) and, for what only a running cluster or a scanner can show, from evidence collected
 * there. Each criterion says PASS or FAIL with the objects and fields it looked at, WARN for
 * findings that do not block in this environment, or RUNTIME with the command that collects its
 * evidence.
 */
import { isPinnedImage, parseImage, parseQuantity } from '../../model/formats';
import { KUSTOMIZATION_KEYS, type DistFile } from '../inspect/dist';
import { edgeDataPlanes, hstsHeader, redirectsToHttps } from '../inspect/edge';
import { isDenyAll, namespacesFromObjects, NetworkModel, podsFromObjects, STOCK, STOCK_NAMESPACES, type Endpoint, type NetPod } from '../inspect/network-policy';
import { BROAD_CLUSTER_ROLES, riskyGrants, wildcardFields } from '../inspect/rbac';
import { certManagerNamespace, CLUSTER_ISSUER_ANNOTATION, plaintextSecrets, secretProducers, secretReferences, unproducedSecrets } from '../inspect/secrets';
import { LONG_RUNNING, POD_OWNERS, podSpecOf as podSpec, scaleOf } from '../inspect/workloads';
import { SIGN_OFF } from '../../model/sign-off';
import { databaseRoles, offsiteBackups } from './data-safety';
import { EVIDENCE_FILES, type Evidence } from './evidence';
import { credentials, sealCommand, sealedKeys, sealing, SUPERUSER_ROTATION, superuserKeys, undeliverable } from './provenance';
import { evidenceDir, imageScan, migrationsApplied, podsHealthy, waitForJobEnd } from './runtime';
import { edgeErrors, gracefulShutdown, metaMonitoring, recommendedLabels, scheduling } from './operability';
import type { Subject } from './subject';
import { result, type CriterionResult } from './result';
import type { K6Summary } from './k6';
import {
  ENVIRONMENT_LABEL,
  LOAD_TEST_OPTIONS_PREFIX,
  objectId as id,
  PRODUCTION_LABEL,
  PUBLIC_DURATION_METRIC,
  PUBLIC_REQUESTS_METRIC,
  ROTATED_ANNOTATION_PREFIX,
  STORAGE_CLASSES_ANNOTATION,
  SYNC_WAVE_ANNOTATION,
  type KubeObject,
} from '../../contract';
import { configMapFile } from './config-file';

export interface ReadinessInput {
  /** The environment folder's name. */
  readonly name: string;
  /** Where the folder is, as commands should name it (e.g. dist/staging). */
  readonly location: string;
  /** The files the kustomization applies, in order. */
  readonly files: readonly DistFile[];
  readonly manualFiles: readonly DistFile[];
  /** The day rotation ages are judged on; without it they are shown with their due dates only. */
  readonly now?: Date;
  /** A real k6 run's summary, to judge the load test on. */
  readonly k6Summary?: K6Summary;
  /** Evidence collected on the cluster (`--evidence DIR`). */
  readonly evidence?: Evidence;
  /** The keys of kustomization.yaml, where the folder was read from disk. */
  readonly kustomizationKeys?: readonly string[];
}

/** Secrets are rotated at least this often (sign-off, section 4.1). */
export const ROTATION_DAYS = 90;
/** The signed-off load-test limits. */
export const LOAD_TEST_LIMITS = { p95Ms: SIGN_OFF.latencyP95Ms, p99Ms: SIGN_OFF.latencyP99Ms, errorRate: SIGN_OFF.loadTestErrorRate, throughputRps: SIGN_OFF.throughputRps } as const;

type Json = Record<string, any>;

/** Days between two ISO dates (b - a). */
function daysBetween(a: string, b: Date): number {
  return Math.floor((b.getTime() - Date.parse(`${a}T00:00:00Z`)) / 86_400_000);
}

/** The day a sealed key was last rotated (its rotation annotation), or undefined when it records no date. */
function rotatedOn(sealed: KubeObject, key: string): string | undefined {
  const rotated = sealed.metadata.annotations?.[`${ROTATED_ANNOTATION_PREFIX}${key}`];
  return rotated !== undefined && /^\d{4}-\d{2}-\d{2}$/.test(rotated) ? rotated : undefined;
}

function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);
}

class View {
  readonly objects: readonly KubeObject[];
  readonly manual: readonly KubeObject[];
  readonly appNamespace?: KubeObject;
  readonly production: boolean;
  readonly storageClasses?: readonly string[];

  constructor(readonly input: ReadinessInput) {
    this.objects = input.files.flatMap((f) => f.objects);
    this.manual = input.manualFiles.flatMap((f) => f.objects);
    this.appNamespace = this.objects.find((o) => o.kind === 'Namespace' && o.metadata.labels?.[ENVIRONMENT_LABEL] !== undefined);
    this.production = this.appNamespace?.metadata.labels?.[PRODUCTION_LABEL] === 'true';
    const classes = this.appNamespace?.metadata.annotations?.[STORAGE_CLASSES_ANNOTATION];
    this.storageClasses = classes === undefined ? undefined : classes.split(',').filter(Boolean);
  }

  get namespace(): string {
    return this.appNamespace?.metadata.name ?? '<namespace>';
  }

  all(kind: string): KubeObject[] {
    return this.objects.filter((o) => o.kind === kind);
  }

  one(kind: string, name: string): KubeObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name);
  }

  fileOf(o: KubeObject): number {
    return this.input.files.findIndex((f) => f.objects.includes(o));
  }
}

/** A year: the least HSTS max-age production may send. */
const HSTS_PRODUCTION_MAX_AGE = 31_536_000;

function tls(v: View): CriterionResult {
  const problems: string[] = [];
  const evidence: string[] = [];
  const gateways = v.all('Gateway');
  const ingresses = v.all('Ingress');
  if (gateways.length === 0 && ingresses.length === 0) problems.push('no Gateway or Ingress: nothing is served over TLS');
  const issuers = new Map(v.all('ClusterIssuer').map((i) => [i.metadata.name, i]));
  const producers = secretProducers(v.objects);
  const certManager = certManagerNamespace([...v.objects, ...v.manual]);
  const issuedBy = (o: KubeObject): string | undefined => {
    const issuerName = o.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION];
    if (issuerName && !issuers.has(issuerName)) problems.push(`${id(o)}: issuer ${issuerName} is not defined in this output`);
    return issuerName && issuers.has(issuerName) ? issuerName : undefined;
  };
  // The Secrets the Ingresses have cert-manager issue (during a migration they serve the Gateway too).
  const ingressCertificates = new Map<string, string>();
  for (const ingress of ingresses) {
    const spec = ingress.spec as Json;
    const issuerName = issuedBy(ingress);
    if (!ingress.metadata.annotations?.[CLUSTER_ISSUER_ANNOTATION]) problems.push(`${id(ingress)}: no cert-manager.io/cluster-issuer annotation`);
    for (const rule of (spec.rules ?? []) as Json[]) {
      const entry = ((spec.tls ?? []) as Json[]).find((t) => (t.hosts ?? []).includes(rule.host));
      if (!entry?.secretName) problems.push(`${id(ingress)}: host ${rule.host} is not under TLS`);
      else {
        evidence.push(`${id(ingress)}: ${rule.host} under TLS (secret ${entry.secretName}) issued by ClusterIssuer ${issuerName}`);
        if (issuerName) ingressCertificates.set(entry.secretName, issuerName);
      }
    }
    // ingress-nginx was retired by Kubernetes SIG Network in March 2026: no fixes, no security patches.
    const retired = `${id(ingress)}: served by ingress-nginx (class ${String(spec.ingressClassName ?? 'default')}), retired in March 2026 with no security fixes since: move the edge to Gateway API (edge.kind: gateway, through edge.kind: both while DNS moves; docs/edge.md)`;
    if (v.production) problems.push(retired);
    else evidence.push(`warning: ${retired}`);
  }
  const routes = v.all('HTTPRoute');
  for (const gateway of gateways) {
    const spec = gateway.spec as Json;
    const annotated = issuedBy(gateway);
    const listeners = (spec.listeners ?? []) as Json[];
    // Every host the Gateway answers on plain HTTP has an HTTPS listener of its own.
    const secured = new Set(listeners.filter((l) => l.protocol === 'HTTPS').map((l) => String(l.hostname)));
    if (secured.size === 0) problems.push(`${id(gateway)}: no HTTPS listener: nothing is served over TLS`);
    for (const l of listeners.filter((x) => x.protocol === 'HTTP' && !secured.has(String(x.hostname)))) problems.push(`${id(gateway)}: listener ${l.name} answers ${String(l.hostname ?? 'every host')} on plain HTTP, with no HTTPS listener for it`);
    const attached = (listener: Json) =>
      routes.filter((r) => ((r.spec as Json).parentRefs ?? []).some((p: Json) => p.name === gateway.metadata.name && (p.namespace ?? r.metadata.namespace) === gateway.metadata.namespace && (p.sectionName === undefined || p.sectionName === listener.name)));
    for (const listener of listeners.filter((l) => l.protocol === 'HTTPS')) {
      const secret = listener.tls?.certificateRefs?.[0]?.name as string | undefined;
      const issuer = annotated ?? (secret ? ingressCertificates.get(secret) : undefined);
      if (!secret || listener.tls?.mode === 'Passthrough') problems.push(`${id(gateway)}: listener ${listener.name} (${String(listener.hostname)}) terminates no TLS`);
      else if (!issuer) problems.push(`${id(gateway)}: listener ${listener.name}: certificate ${secret} is issued by nothing (no cert-manager.io/cluster-issuer annotation, and no Ingress issues it)`);
      else evidence.push(`${id(gateway)}: ${String(listener.hostname)} under TLS (secret ${secret}) issued by ClusterIssuer ${issuer}${annotated ? '' : ' through the Ingress during the migration'}`);
      // HSTS: a response header every route of the HTTPS listener sets.
      const headers = attached(listener).flatMap((r) => ((r.spec as Json).rules ?? []).map(hstsHeader) as Array<string | undefined>);
      const maxAges = headers.map((h) => Number(/max-age=(\d+)/.exec(h ?? '')?.[1] ?? NaN));
      if (headers.length === 0) problems.push(`${id(gateway)}: listener ${listener.name} has no HTTPRoute`);
      else if (headers.some((h) => h === undefined)) {
        if (v.production) problems.push(`${id(gateway)}: ${String(listener.hostname)} is served without Strict-Transport-Security on every route (production sends it, max-age of at least ${HSTS_PRODUCTION_MAX_AGE})`);
        else evidence.push(`${id(gateway)}: ${String(listener.hostname)} sends no Strict-Transport-Security, as the environment decides`);
      } else if (v.production && maxAges.some((a) => !(a >= HSTS_PRODUCTION_MAX_AGE))) {
        problems.push(`${id(gateway)}: Strict-Transport-Security ${headers.join(' / ')}: max-age under ${HSTS_PRODUCTION_MAX_AGE} in production`);
      } else evidence.push(`${id(gateway)}: Strict-Transport-Security: ${[...new Set(headers)].join(' / ')} on every route`);
    }
    // Plain HTTP answers with a redirect to HTTPS, and nothing else.
    for (const listener of listeners.filter((l) => l.protocol === 'HTTP')) {
      const served = attached(listener);
      const redirects = (r: KubeObject) => ((r.spec as Json).rules ?? []).every((rule: Json) => (rule.backendRefs ?? []).length === 0 && redirectsToHttps(rule));
      if (served.length === 0) problems.push(`${id(gateway)}: listener ${listener.name} (${String(listener.hostname)}) has no route redirecting HTTP to HTTPS`);
      for (const r of served) {
        if (redirects(r)) evidence.push(`${id(r)}: redirects http://${String(listener.hostname)} to https`);
        else problems.push(`${id(r)}: serves plain HTTP on listener ${listener.name} instead of redirecting to HTTPS`);
      }
    }
  }
  for (const issuer of issuers.values()) {
    const spec = issuer.spec as Json;
    if (spec.acme && !(spec.acme.solvers ?? []).length) problems.push(`${id(issuer)}: ACME without a solver`);
    if (spec.ca) {
      const producer = producers.find((p) => p.name === spec.ca.secretName && p.namespace === certManager);
      if (!producer) problems.push(`${id(issuer)}: its CA secret ${spec.ca.secretName} is produced by nothing (the issuer would stay Ready=False)`);
      else evidence.push(`${id(issuer)}: CA secret ${spec.ca.secretName} produced by ${producer.producedBy}`);
    }
  }
  return result('tls', 'TLS: the host under TLS from a defined issuer, HTTP redirected, HSTS as decided, no retired controller in production', problems, evidence);
}

function secrets(v: View): CriterionResult {
  const all = [...v.objects, ...v.manual];
  // Provided credentials recorded as missing are the credentials criterion's to judge.
  const recordedMissing = new Set(sealedKeys(all).filter((k) => k.origin === 'missing').map((k) => `${k.namespace}/${k.name}/${k.key}`));
  const unproduced = unproducedSecrets(all)
    .map(({ reference, missingKeys }) => ({ reference, missingKeys: missingKeys.filter((k) => !recordedMissing.has(`${reference.namespace}/${reference.name}/${k}`)), recorded: missingKeys.length }))
    .filter(({ missingKeys, recorded }) => missingKeys.length > 0 || recorded === 0);
  const problems: string[] = [
    ...plaintextSecrets(all).map((o) => `${id(o)}: a Secret with data in plain text (base64 is not encryption)`),
    ...unproduced.map(({ reference, missingKeys }) =>
      `${reference.readBy}: secret ${reference.namespace}/${reference.name}${missingKeys.length ? ` (keys ${missingKeys.join(', ')})` : ''} is produced by no SealedSecret or ExternalSecret here`),
  ];
  // Every sealed value is rotated at least every ROTATION_DAYS days, but the superuser's name.
  const superuser = superuserKeys(all);
  let oldest: string | undefined;
  for (const o of all.filter((x) => x.kind === 'SealedSecret')) {
    for (const key of Object.keys(((o.spec as Json | undefined)?.encryptedData ?? {}) as Json)) {
      const at = `${o.metadata.namespace}/${o.metadata.name}/${key}`;
      if (superuser.name.has(at)) continue;
      const rotated = rotatedOn(o, key);
      if (!rotated) problems.push(`${id(o)}: key ${key} has no rotation date`);
      else if (v.input.now && daysBetween(rotated, v.input.now) > ROTATION_DAYS) problems.push(`${id(o)}: key ${key} last rotated ${rotated}, more than ${ROTATION_DAYS} days ago: ${superuser.password.has(at) ? SUPERUSER_ROTATION : 'seal a new value'}`);
      else if (!oldest || rotated < oldest) oldest = rotated;
    }
  }
  const sealed = all.filter((o) => o.kind === 'SealedSecret').length;
  const external = all.filter((o) => o.kind === 'ExternalSecret').length;
  const references = secretReferences(all).length;
  return result('secrets', 'Secrets sealed: no plaintext Secret, every secret read is produced', problems, [
    `${sealed} SealedSecret(s), ${external} ExternalSecret(s), no Secret with data`,
    `${references} secret reference(s), each produced in this output${recordedMissing.size ? ` (except ${recordedMissing.size} provided credential(s) recorded as missing: see Credentials)` : ''}`,
    ...(oldest ? [`every sealed value rotated within ${ROTATION_DAYS} days; the oldest on ${oldest}, due ${addDays(oldest, ROTATION_DAYS)}`] : []),
  ]);
}

function loadTest(v: View): CriterionResult {
  const title = 'Load test: defined with the signed-off thresholds, and passed';
  const script = v.manual.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'load-test-script');
  const job = v.manual.find((o) => o.kind === 'Job' && o.metadata.name === 'load-test');
  const problems: string[] = [];
  if (!script || !job) problems.push('no load test (ConfigMap load-test-script and Job load-test under manual/)');
  let thresholds: Json = {};
  let scenarios: Json = {};
  let trendStats: unknown;
  if (script) {
    const text = String((script.data as Json | undefined)?.['load-test.js'] ?? '');
    const line = text.split('\n').find((l) => l.startsWith(LOAD_TEST_OPTIONS_PREFIX));
    try {
      const options = line ? (JSON.parse(line.slice(LOAD_TEST_OPTIONS_PREFIX.length).replace(/;$/, '')) as Json) : {};
      thresholds = options.thresholds ?? {};
      scenarios = options.scenarios ?? {};
      trendStats = options.summaryTrendStats;
    } catch {
      problems.push(`${id(script)}: its options line is not JSON`);
    }
    const has = (metric: string, expression: string) => ((thresholds[metric] ?? []) as string[]).includes(expression);
    for (const [metric, expression] of [
      [PUBLIC_DURATION_METRIC, `p(95)<${LOAD_TEST_LIMITS.p95Ms}`],
      [PUBLIC_DURATION_METRIC, `p(99)<${LOAD_TEST_LIMITS.p99Ms}`],
      ['http_req_failed', `rate<${LOAD_TEST_LIMITS.errorRate}`],
      [PUBLIC_REQUESTS_METRIC, `rate>${LOAD_TEST_LIMITS.throughputRps}`],
    ] as const) {
      if (!has(metric, expression)) problems.push(`${id(script)}: no threshold ${metric} ${expression} (found ${JSON.stringify(thresholds[metric] ?? [])})`);
    }
    // k6 puts into the summary only the trend statistics summaryTrendStats names (by default up to
    // p(95)): without p(99) a real run's summary could never show the latency judged below.
    const missingStats = ['p(95)', 'p(99)'].filter((stat) => !(Array.isArray(trendStats) && trendStats.includes(stat)));
    if (missingStats.length > 0) problems.push(`${id(script)}: summaryTrendStats ${JSON.stringify(trendStats ?? null)} lacks ${missingStats.join(' and ')}: k6's summary of a real run would not hold the latency judged`);
    // The public traffic arrives at a rate above the sign-off's; in production it ramps on, so that
    // the HPA has to scale out while the thresholds hold.
    const arrival = Object.values(scenarios as Record<string, Json>).find((s) => s.tags?.scope === 'public');
    const peak = arrival ? Math.max(Number(arrival.rate ?? 0), ...((arrival.stages ?? []) as Json[]).map((s) => Number(s.target))) : 0;
    if (!arrival || !String(arrival.executor).endsWith('arrival-rate')) problems.push(`${id(script)}: no public scenario at an arrival rate (virtual users that wait cannot show a throughput)`);
    else if (!(peak > LOAD_TEST_LIMITS.throughputRps)) problems.push(`${id(script)}: the public traffic peaks at ${peak} requests a second, not more than the signed-off ${LOAD_TEST_LIMITS.throughputRps}`);
    else if (v.production && v.all('HorizontalPodAutoscaler').length > 0 && arrival.executor !== 'ramping-arrival-rate') problems.push(`${id(script)}: a constant rate in production: ramp it (loadTest.peakRate) so that the HPA scales out`);
  }
  const edge = v.all('Gateway')[0] ?? v.all('Ingress')[0];
  const host = edge?.kind === 'Gateway' ? ((edge.spec as Json).listeners ?? []).find((l: Json) => l.protocol === 'HTTPS')?.hostname : (edge?.spec as Json | undefined)?.rules?.[0]?.host;
  const target = podSpec(job ?? ({} as KubeObject))?.containers?.[0]?.env?.find((e: Json) => e.name === 'GRAVL_API_URL')?.value;
  if (job && host && target !== `https://${host}`) problems.push(`${id(job)}: targets ${String(target)}, not https://${host}`);
  problems.push(...(v.input.evidence?.errors ?? []).filter((e) => e.kind === 'k6').map((e) => `${e.file}: ${e.message}`));
  if (problems.length > 0) return { id: 'load-test', title, blocking: true, status: 'FAIL', evidence: problems };
  const defined = `Job load-test runs the k6 script against ${String(target)}; thresholds ${JSON.stringify(thresholds)}; public scenario ${JSON.stringify(Object.values(scenarios as Record<string, Json>).find((s) => s.tags?.scope === 'public'))}`;
  const summary = v.input.k6Summary ?? v.input.evidence?.k6?.summary;
  if (!summary) {
    const ns = job!.metadata.namespace;
    const dir = evidenceDir(v.input.name);
    return {
      id: 'load-test', title, blocking: true, status: 'RUNTIME', evidence: [defined, `not run yet: judged from a real run's log (${dir}/${EVIDENCE_FILES.k6})`],
      // Its log either way: a run that failed its thresholds still prints its summary, judged FAIL.
      command: `mkdir -p ${dir} && kubectl apply -f ${v.input.location}/manual/load-test.k8s.yaml && ${waitForJobEnd(ns, 'load-test')} && kubectl -n ${ns} logs job/load-test > ${dir}/${EVIDENCE_FILES.k6}`,
    };
  }
  const ranAgainst = summary.gravl?.apiUrl;
  if (ranAgainst !== target) {
    return { id: 'load-test', title, blocking: true, status: 'FAIL', evidence: [`the summary is of a run against ${ranAgainst ?? 'an unnamed host'}, not ${String(target)}`] };
  }
  // A run measures one release: an older run of the same host says nothing of the rendered one.
  const release = podSpec(job!)?.containers?.[0]?.env?.find((e: Json) => e.name === 'GRAVL_RELEASE')?.value as string | undefined;
  if (release && summary.gravl?.release !== release) {
    return { id: 'load-test', title, blocking: true, status: 'FAIL', evidence: [`the summary is of a run of release ${summary.gravl?.release ?? '(not named)'}, not the rendered ${release}: it does not count; run the load test again`] };
  }
  const metric = (name: string, value: string) => summary.metrics[name]?.values?.[value];
  const p95 = metric(PUBLIC_DURATION_METRIC, 'p(95)');
  const p99 = metric(PUBLIC_DURATION_METRIC, 'p(99)');
  const failed = metric('http_req_failed', 'rate');
  const achieved = metric(PUBLIC_REQUESTS_METRIC, 'rate');
  const run: string[] = [];
  const check = (label: string, value: number | undefined, limit: number, unit: string) => {
    if (value === undefined) run.push(`${label}: missing from the summary`);
    else if (!(value < limit)) run.push(`${label} ${value}${unit} is not under ${limit}${unit}`);
  };
  check('p95 latency', p95, LOAD_TEST_LIMITS.p95Ms, ' ms');
  check('p99 latency', p99, LOAD_TEST_LIMITS.p99Ms, ' ms');
  check('error rate', failed, LOAD_TEST_LIMITS.errorRate, '');
  if (achieved === undefined) run.push(`achieved rate (${PUBLIC_REQUESTS_METRIC}): missing from the summary`);
  else if (!(achieved > LOAD_TEST_LIMITS.throughputRps)) run.push(`achieved rate ${achieved} requests/s against the public host is not more than ${LOAD_TEST_LIMITS.throughputRps}`);
  const measured = `measured (public host): p95 ${String(p95)} ms, p99 ${String(p99)} ms, ${String(achieved)} requests/s; error rate ${String(failed)}`;
  return run.length > 0
    ? { id: 'load-test', title, blocking: true, status: 'FAIL', evidence: [...run, measured] }
    : { id: 'load-test', title, blocking: true, status: 'PASS', evidence: [defined, measured] };
}

function alertmanager(v: View): CriterionResult {
  const problems: string[] = [];
  const evidence: string[] = [];
  const configMap = v.one('ConfigMap', 'alertmanager-config');
  const workload = v.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager');
  if (!configMap || !workload) {
    problems.push('no Alertmanager (StatefulSet alertmanager and ConfigMap alertmanager-config)');
    return result('alertmanager', 'Alertmanager receivers configured (Slack and e-mail)', problems, evidence);
  }
  const config = (configMapFile(configMap, 'alertmanager.yml') ?? {}) as Json;
  const receivers = (config.receivers ?? []) as Json[];
  const slack = receivers.flatMap((r) => ((r.slack_configs ?? []) as Json[]).map((c): Json => ({ ...c, receiver: String(r.name) })));
  const email = receivers.flatMap((r) => ((r.email_configs ?? []) as Json[]).map((c): Json => ({ ...c, receiver: String(r.name) })));
  const files: Array<{ file: string; receiver: string; what: string }> = [];
  if (slack.length === 0) problems.push(`${id(configMap)}: no Slack receiver`);
  for (const s of slack) {
    if (s.api_url) problems.push(`${id(configMap)}: Slack webhook URL written inline`);
    else if (!s.api_url_file) problems.push(`${id(configMap)}: Slack receiver without a webhook URL file`);
    else files.push({ file: s.api_url_file, receiver: s.receiver, what: 'Slack webhook URL' });
  }
  if (email.length === 0) problems.push(`${id(configMap)}: no e-mail receiver`);
  for (const e of email) {
    if (e.auth_password) problems.push(`${id(configMap)}: SMTP password written inline`);
    else if (!e.auth_password_file) problems.push(`${id(configMap)}: e-mail receiver without a password file`);
    else files.push({ file: e.auth_password_file, receiver: e.receiver, what: 'SMTP password' });
    if (!e.to || !e.smarthost) problems.push(`${id(configMap)}: e-mail receiver without to or smarthost`);
  }
  // Each file must come from a mounted Secret that something produces, with a key of the file's name.
  const pod = podSpec(workload)!;
  const mounts = ((pod.containers ?? []) as Json[]).flatMap((c) => (c.volumeMounts ?? []) as Json[]);
  const producers = secretProducers(v.objects);
  const keys = sealedKeys(v.objects);
  // A receiver whose credential the cluster would not have cannot deliver: production fails, elsewhere a warning.
  const warnings: string[] = [];
  const fix: string[] = [];
  for (const { file, receiver, what } of files) {
    const mount = mounts.find((m) => file.startsWith(`${m.mountPath}/`));
    const volume = ((pod.volumes ?? []) as Json[]).find((vol) => vol.name === mount?.name);
    const key = file.slice((mount?.mountPath?.length ?? 0) + 1);
    const producer = volume?.secret && producers.find((p) => p.namespace === workload.metadata.namespace && p.name === volume.secret.secretName);
    const sealed = volume?.secret && keys.find((k) => k.namespace === workload.metadata.namespace && k.name === volume.secret.secretName && k.key === key);
    const why = sealed && undeliverable(sealed);
    if (sealed && why) {
      (v.production ? problems : warnings).push(`receiver ${receiver} cannot deliver: its ${what} (${sealed.namespace}/${sealed.name} key ${key}) is ${why}`);
      fix.push(sealCommand(v.input.name, sealed));
    } else if (!producer) problems.push(`${file}: not mounted from a Secret produced in this output`);
    else if (producer.keys && !producer.keys.includes(key)) problems.push(`${file}: ${producer.producedBy} has no key ${key}`);
    else evidence.push(`${file} from secret ${volume.secret.secretName} (${producer.producedBy})`);
  }
  const critical = ((config.route?.routes ?? []) as Json[]).filter((r) => JSON.stringify(r.matchers ?? r.match ?? '').includes('critical')).map((r) => r.receiver);
  evidence.unshift(`${slack.length} Slack and ${email.length} e-mail receiver(s); critical alerts route to ${critical.join(' and ') || 'the default receiver'}`);
  const title = 'Alertmanager receivers configured (Slack and e-mail) and able to deliver';
  if (problems.length === 0 && warnings.length > 0) return { id: 'alertmanager', title, blocking: true, status: 'WARN', evidence: [...warnings, ...evidence], fix };
  return { ...result('alertmanager', title, problems, evidence), ...(problems.length && fix.length ? { fix } : {}) };
}

function backup(v: View): CriterionResult {
  const problems: string[] = [];
  const evidence: string[] = [];
  const cron = v.one('CronJob', 'postgres-backup');
  if (!cron) {
    problems.push('no CronJob postgres-backup');
  } else {
    const spec = cron.spec as Json;
    const job = spec.jobTemplate?.spec ?? {};
    if (!spec.schedule) problems.push(`${id(cron)}: no schedule`);
    if (spec.suspend === true) problems.push(`${id(cron)}: suspended`);
    if (spec.concurrencyPolicy !== 'Forbid') problems.push(`${id(cron)}: concurrencyPolicy ${String(spec.concurrencyPolicy)}, expected Forbid (two dumps at once)`);
    if (spec.startingDeadlineSeconds === undefined) problems.push(`${id(cron)}: no startingDeadlineSeconds`);
    if (job.activeDeadlineSeconds === undefined) problems.push(`${id(cron)}: no job deadline (activeDeadlineSeconds)`);
    if (job.backoffLimit === undefined || job.backoffLimit > 6) problems.push(`${id(cron)}: backoffLimit ${String(job.backoffLimit)}, expected a small limit`);
    if (spec.successfulJobsHistoryLimit === undefined || spec.failedJobsHistoryLimit === undefined) problems.push(`${id(cron)}: no history limits`);
    const claims = ((podSpec(cron)?.volumes ?? []) as Json[]).filter((vol) => vol.persistentVolumeClaim).map((vol) => vol.persistentVolumeClaim.claimName);
    const missing = claims.filter((c) => !v.one('PersistentVolumeClaim', c));
    if (claims.length === 0) problems.push(`${id(cron)}: writes to no volume claim`);
    if (missing.length) problems.push(`${id(cron)}: claim(s) ${missing.join(', ')} not defined`);
    evidence.push(`${id(cron)}: schedule "${spec.schedule}" UTC, Forbid, starting deadline ${spec.startingDeadlineSeconds}s, job deadline ${job.activeDeadlineSeconds}s, backoff ${job.backoffLimit}, onto ${claims.join(', ')}`);
  }
  const drill = v.one('CronJob', 'postgres-restore-drill');
  if (!drill) problems.push('no CronJob postgres-restore-drill: backups are never proven by a restore');
  else evidence.push(`${id(drill)}: restore drill "${(drill.spec as Json).schedule}" UTC`);
  return result('backup', 'Backup CronJob present and sane, with a restore drill', problems, evidence);
}

function dbCredentials(v: View): CriterionResult {
  const title = `Database credentials sealed, the password rotated within ${ROTATION_DAYS} days`;
  const postgres = v.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres');
  const superuser = superuserKeys(postgres ? [postgres] : []);
  // `namespace/secret/key` of the Secret POSTGRES_PASSWORD reads.
  const [password] = superuser.password;
  if (!postgres || !password) return result('db-credentials', title, ['StatefulSet postgres does not read POSTGRES_PASSWORD from a Secret'], []);
  const namespace = postgres.metadata.namespace;
  const secretName = password.split('/')[1]!;
  const producers = secretProducers(v.objects).filter((p) => p.namespace === namespace && p.name === secretName).map((p) => p.object);
  const sealed = producers.find((o) => o.kind === 'SealedSecret');
  const external = producers.find((o) => o.kind === 'ExternalSecret');
  if (external) return result('db-credentials', title, [], [`${id(external)}: from ${(external.spec as Json).secretStoreRef?.kind} ${(external.spec as Json).secretStoreRef?.name}, refreshed every ${(external.spec as Json).refreshInterval}; rotation is the store's`]);
  if (!sealed) return result('db-credentials', title, [`secret ${namespace}/${secretName} is not produced by a SealedSecret or ExternalSecret`], []);
  const problems: string[] = [];
  const evidence: string[] = [];
  for (const key of Object.keys((sealed.spec as Json).encryptedData ?? {})) {
    if (superuser.name.has(`${namespace}/${sealed.metadata.name}/${key}`)) {
      evidence.push(`${id(sealed)}: key ${key} sealed; the superuser's name, which is not rotated`);
      continue;
    }
    const rotated = rotatedOn(sealed, key);
    if (!rotated) {
      problems.push(`${id(sealed)}: key ${key} has no rotation date (${ROTATED_ANNOTATION_PREFIX}${key})`);
      continue;
    }
    const due = addDays(rotated, ROTATION_DAYS);
    if (v.input.now && daysBetween(rotated, v.input.now) > ROTATION_DAYS) problems.push(`${id(sealed)}: key ${key} last rotated ${rotated}, ${daysBetween(rotated, v.input.now)} days ago (due ${due}): ${SUPERUSER_ROTATION}`);
    else evidence.push(`${id(sealed)}: key ${key} sealed, rotated ${rotated}, next rotation due ${due}`);
  }
  return result('db-credentials', title, problems, evidence);
}

/** A named workload's representative pod. */
function podNamed(pods: readonly NetPod[], name: string): NetPod | undefined {
  return pods.find((p) => p.labels['app.kubernetes.io/name'] === name);
}

function network(v: View): CriterionResult {
  const problems: string[] = [];
  const evidence: string[] = [];
  const policies = v.all('NetworkPolicy');
  const all = [...v.objects, ...v.manual];
  const pods = podsFromObjects(all);
  // The edge's data plane, as the Gateway or Ingress declares it (its namespace is the cluster's own).
  const dataPlanes = edgeDataPlanes(v.objects);
  let model: NetworkModel;
  try {
    model = new NetworkModel(policies, namespacesFromObjects(v.objects, [...STOCK_NAMESPACES, ...dataPlanes.map((d) => d.pod.namespace)]));
  } catch (error) {
    return result('network', 'Network policies', [`the policies are invalid: ${(error as Error).message}`], []);
  }
  for (const ns of new Set(pods.map((p) => p.namespace))) {
    const deny = policies.find((p) => p.metadata.namespace === ns && isDefaultDeny(p));
    if (!deny) problems.push(`namespace ${ns}: no default deny of ingress and egress`);
    else evidence.push(`namespace ${ns}: default deny (${id(deny)})`);
  }
  // DNS as a stock cluster answers it: CoreDNS in kube-system, labelled k8s-app=kube-dns.
  const noDns = pods.filter((p) => !(model.isAllowed(p, STOCK.coreDns, 53, 'UDP') && model.isAllowed(p, STOCK.coreDns, 53, 'TCP')));
  if (noDns.length) problems.push(`no DNS egress to CoreDNS (UDP and TCP 53) on a stock cluster for: ${noDns.map((p) => `${p.namespace}/${p.labels['app.kubernetes.io/name'] ?? p.name}`).join(', ')}`);
  else evidence.push(`all ${pods.length} workloads may query CoreDNS on UDP and TCP 53 (kube-system, k8s-app=kube-dns)`);

  type Flow = [string, Endpoint | undefined, Endpoint | undefined, number, boolean];
  const edgeFlows: Flow[] = dataPlanes.length === 0
    ? [['the edge (a Gateway or Ingress naming its data plane) -> backend:3000', undefined, podNamed(pods, 'backend'), 3000, true]]
    : dataPlanes.flatMap(({ edge, pod }): Flow[] => [
        [`${id(edge)} data plane -> backend:3000`, pod, podNamed(pods, 'backend'), 3000, true],
        [`${id(edge)} data plane -> frontend:8080`, pod, podNamed(pods, 'frontend'), 8080, true],
        [`${id(edge)} data plane -> backend:3001 (metrics)`, pod, podNamed(pods, 'backend'), 3001, false],
      ]);
  const flows: Flow[] = [
    ...edgeFlows,
    ['backend -> postgres:5432', podNamed(pods, 'backend'), podNamed(pods, 'postgres'), 5432, true],
    ['postgres-backup -> postgres:5432', podNamed(pods, 'postgres-backup'), podNamed(pods, 'postgres'), 5432, true],
    ['prometheus -> backend:3001', podNamed(pods, 'prometheus'), podNamed(pods, 'backend'), 3001, true],
    ['alloy -> loki:3100', podNamed(pods, 'alloy'), podNamed(pods, 'loki'), 3100, true],
    ['stranger in default -> backend:3000', STOCK.stranger, podNamed(pods, 'backend'), 3000, false],
    ['stranger in default -> postgres:5432', STOCK.stranger, podNamed(pods, 'postgres'), 5432, false],
    ['frontend -> postgres:5432', podNamed(pods, 'frontend'), podNamed(pods, 'postgres'), 5432, false],
    ['postgres -> internet:443', podNamed(pods, 'postgres'), STOCK.internet, 443, false],
  ];
  for (const [label, from, to, port, expected] of flows) {
    if (!from || !to) {
      problems.push(`${label}: a workload of this flow is missing`);
      continue;
    }
    if (model.isAllowed(from, to, port) === expected) {
      evidence.push(`${label}: ${expected ? 'allowed' : 'denied'}`);
      continue;
    }
    const verdict = model.allows(from, to, port);
    problems.push(`${label}: ${verdict.allowed ? 'allowed' : 'denied'}, expected ${expected ? 'allowed' : 'denied'} (${verdict.reason})`);
  }
  // Nothing may be reached from another namespace's pod, on any port a pod declares, and no pod may
  // reach the cloud metadata address.
  const metadata: Endpoint = { kind: 'external', name: 'cloud metadata', ip: '169.254.169.254' };
  const open = pods.flatMap((p) => p.ports.filter((port) => model.isAllowed(STOCK.stranger, p, port.port, port.protocol)).map((port) => `${p.namespace}/${p.labels['app.kubernetes.io/name'] ?? p.name}:${port.port}`));
  if (open.length) problems.push(`a pod in namespace default may reach ${open.join(', ')}`);
  else evidence.push(`no port of any of the ${pods.length} workloads is open to a pod of another namespace`);
  const leaking = pods.filter((p) => model.isAllowed(p, metadata, 80));
  if (leaking.length) problems.push(`may reach the cloud metadata address 169.254.169.254: ${leaking.map((p) => `${p.namespace}/${p.labels['app.kubernetes.io/name'] ?? p.name}`).join(', ')}`);
  else evidence.push('no workload may reach the cloud metadata address');
  return result('network', 'Network policies: default deny, DNS to CoreDNS, the required flows only', problems, evidence);
}

/** A deny-all policy of both directions. */
function isDefaultDeny(p: KubeObject): boolean {
  const types = ((p.spec as Json).policyTypes ?? []) as string[];
  return isDenyAll(p) && types.includes('Ingress') && types.includes('Egress');
}

function rbac(v: View): CriterionResult {
  const problems: string[] = [];
  const roles = [...v.all('Role'), ...v.all('ClusterRole')];
  for (const role of roles) {
    for (const rule of ((role as Json).rules ?? []) as Json[]) {
      if (wildcardFields(rule).length > 0) problems.push(`${id(role)}: a wildcard in ${JSON.stringify(rule)}`);
      const risky = riskyGrants(rule);
      if (risky.length > 0) problems.push(`${id(role)}: grants ${risky.join(', ')}`);
      if ((rule.resources ?? []).includes('persistentvolumeclaims') && (rule.verbs ?? []).includes('delete') && role.metadata.name === 'gravl-deployer') problems.push(`${id(role)}: may delete volume claims (the data and its backups)`);
    }
  }
  for (const binding of [...v.all('RoleBinding'), ...v.all('ClusterRoleBinding')]) {
    const roleName = (binding as Json).roleRef?.name;
    if (BROAD_CLUSTER_ROLES.includes(roleName)) problems.push(`${id(binding)}: binds ${roleName}`);
  }
  const deployer = v.objects.find((o) => o.kind === 'Role' && o.metadata.name === 'gravl-deployer' && o.metadata.namespace === v.namespace);
  if (!deployer) problems.push(`no Role gravl-deployer in ${v.namespace}`);
  const tokens = [...v.objects, ...v.manual].filter((o) => o.kind === 'ServiceAccount' && (o as Json).automountServiceAccountToken !== false).map((o) => o.metadata.name);
  return result('rbac', 'RBAC least privilege', problems, [
    `${roles.length} Role(s)/ClusterRole(s): no wildcard, secrets read-only, no exec, no escalate/bind/impersonate`,
    'no binding to cluster-admin, admin or edit',
    `Role gravl-deployer in ${v.namespace}`,
    `API tokens mounted only for: ${tokens.join(', ') || 'none'}`,
  ]);
}

function pods(v: View): CriterionResult {
  const problems: string[] = [];
  const all = [...v.objects, ...v.manual];
  const workloads = all.filter((o) => POD_OWNERS.includes(o.kind));
  const certManager = certManagerNamespace(all);
  const restricted = new Set(v.all('Namespace').filter((n) => n.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted').map((n) => n.metadata.name));
  for (const ns of v.all('Namespace')) {
    for (const mode of ['enforce', 'audit', 'warn']) if (!ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}`]) problems.push(`${id(ns)}: no pod-security.kubernetes.io/${mode} label`);
    // Only node agents (DaemonSets) may live outside the restricted level.
    const others = workloads.filter((w) => w.metadata.namespace === ns.metadata.name && w.kind !== 'DaemonSet');
    if (others.length > 0 && !restricted.has(ns.metadata.name)) problems.push(`${id(ns)}: enforces ${ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] ?? 'nothing'}, not restricted, and runs ${others.map((w) => `${w.kind} ${w.metadata.name}`).join(', ')}`);
  }
  let containers = 0;
  for (const w of workloads) {
    const pod = podSpec(w)!;
    if (w.metadata.namespace && !v.all('Namespace').some((n) => n.metadata.name === w.metadata.namespace) && w.metadata.namespace !== certManager) problems.push(`${id(w)}: its namespace is not created here`);
    for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Json[]) {
      containers++;
      const where = `${id(w)} container ${c.name}`;
      for (const kind of ['requests', 'limits']) for (const r of ['cpu', 'memory']) if (c.resources?.[kind]?.[r] === undefined) problems.push(`${where}: no ${kind}.${r}`);
      const image = parseImage(String(c.image));
      if (!image || !isPinnedImage(String(c.image))) problems.push(`${where}: image ${c.image} is not pinned`);
      else if (v.production && !image.digest) problems.push(`${where}: production image ${c.image} has no digest`);
      if (restricted.has(w.metadata.namespace!)) {
        const sc = c.securityContext ?? {};
        if (sc.allowPrivilegeEscalation !== false || JSON.stringify(sc.capabilities?.drop) !== '["ALL"]' || sc.privileged === true) problems.push(`${where}: not restricted (privilege escalation or capabilities)`);
        if (pod.securityContext?.runAsNonRoot !== true && sc.runAsNonRoot !== true) problems.push(`${where}: may run as root`);
      }
    }
    if (LONG_RUNNING.includes(w.kind)) {
      for (const c of (pod.containers ?? []) as Json[]) {
        for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) if (!c[probe]) problems.push(`${id(w)} container ${c.name}: no ${probe}`);
      }
    }
  }
  if (v.production) {
    for (const d of v.all('Deployment')) {
      const replicas = scaleOf(d, v.all('HorizontalPodAutoscaler')).count;
      const monitoringSingleton = d.metadata.namespace !== v.namespace;
      if (!monitoringSingleton && replicas < 2) problems.push(`${id(d)}: ${replicas} replica(s) in production, expected at least 2`);
      const selector = JSON.stringify((d.spec as Json).selector?.matchLabels);
      if (!monitoringSingleton && !v.all('PodDisruptionBudget').some((p) => JSON.stringify((p.spec as Json).selector?.matchLabels) === selector)) problems.push(`${id(d)}: no PodDisruptionBudget in production`);
    }
  }
  return result('pods', 'Pods: requests and limits, probes, Pod Security, pinned images, replicas and PDB in production', problems, [
    `${workloads.length} workloads, ${containers} containers: requests and limits on each, images pinned${v.production ? ' by digest' : ''}`,
    'startup, readiness and liveness probes on every long-running container',
    `restricted Pod Security enforced in ${[...restricted].join(', ')}`,
    ...(v.production ? [`every Deployment of ${v.namespace} runs at least 2 replicas behind a PodDisruptionBudget`] : []),
  ]);
}

function migrations(v: View): CriterionResult {
  const job = v.objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('backend-migrate'));
  const backend = v.one('Deployment', 'backend');
  const problems: string[] = [];
  if (!job) problems.push('no migration Job (backend-migrate-<version>)');
  if (!backend) problems.push('no Deployment backend');
  if (job && backend) {
    if (!(v.fileOf(job) < v.fileOf(backend))) problems.push(`${id(job)} is applied in ${v.input.files[v.fileOf(job)]?.name}, not before ${id(backend)} (${v.input.files[v.fileOf(backend)]?.name})`);
    const wave = (o: KubeObject) => Number(o.metadata.annotations?.[SYNC_WAVE_ANNOTATION] ?? NaN);
    if (!Number.isNaN(wave(job)) && !(wave(job) < wave(backend))) problems.push(`${id(job)}: Argo CD sync wave ${wave(job)} is not before the backend's ${wave(backend)}`);
    const spec = job.spec as Json;
    if (spec.backoffLimit === undefined || spec.activeDeadlineSeconds === undefined) problems.push(`${id(job)}: no backoffLimit or deadline`);
    const image = (o: KubeObject) => podSpec(o)?.containers?.[0]?.image;
    if (image(job) !== image(backend)) problems.push(`${id(job)}: runs ${image(job)}, not the backend's image ${image(backend)}`);
  }
  return result('migrations', 'Migrations run before the backend rolls out', problems, [
    `${job ? id(job) : ''} in ${job ? v.input.files[v.fileOf(job)]?.name : ''}, before ${backend ? v.input.files[v.fileOf(backend)]?.name : ''}; same image as the backend; deadline and backoff set`,
  ]);
}

/** What kubectl applies is what the files say: a kustomization may list and order them, nothing more. */
function kustomization(v: View): CriterionResult {
  const extra = (v.input.kustomizationKeys ?? []).filter((k) => !KUSTOMIZATION_KEYS.includes(k));
  return result('kustomization', 'The kustomization applies the files as they are', extra.length ? [`kustomization.yaml has ${extra.join(', ')}: what kubectl applies differs from the files judged here`] : [], [`kustomization.yaml lists the ${v.input.files.length} files in apply order and changes nothing in them`]);
}

function storage(v: View): CriterionResult {
  const problems: string[] = [];
  const evidence: string[] = [];
  if (!v.storageClasses) return result('storage', 'Storage: every claim on a StorageClass the cluster has', [`the app namespace does not list the cluster's StorageClasses (${STORAGE_CLASSES_ANNOTATION})`], []);
  const claims: Array<[string, Json]> = [];
  for (const o of [...v.objects, ...v.manual]) {
    if (o.kind === 'PersistentVolumeClaim') claims.push([id(o), o.spec as Json]);
    for (const t of ((o.spec as Json | undefined)?.volumeClaimTemplates ?? []) as Json[]) claims.push([`${id(o)} claim ${t.metadata?.name}`, t.spec]);
  }
  for (const [where, spec] of claims) {
    const cls = spec?.storageClassName;
    const size = spec?.resources?.requests?.storage;
    if (!cls) problems.push(`${where}: no storageClassName (it would take the cluster's default, if it has one)`);
    else if (!v.storageClasses.includes(cls)) problems.push(`${where}: StorageClass ${cls}, which the cluster does not have (${v.storageClasses.join(', ')}): it would stay Pending`);
    else if (!size || parseQuantity(String(size)) === undefined) problems.push(`${where}: no valid storage request`);
    else evidence.push(`${where}: ${size} on ${cls}`);
  }
  return result('storage', 'Storage: every claim on a StorageClass the cluster has', problems, [`the cluster has: ${v.storageClasses.join(', ')}`, ...evidence]);
}

/** Every criterion, in the order of the sign-off's matrix. */
export function evaluate(input: ReadinessInput): CriterionResult[] {
  const v = new View(input);
  const subject: Subject = { objects: v.objects, manual: v.manual, production: v.production, name: input.name, ...(input.evidence ? { evidence: input.evidence } : {}) };
  return [
    tls(v),
    secrets(v),
    sealing(subject),
    credentials(subject),
    loadTest(v),
    alertmanager(v),
    backup(v),
    offsiteBackups(v),
    dbCredentials(v),
    databaseRoles(v),
    network(v),
    rbac(v),
    pods(v),
    podsHealthy(subject),
    migrations(v),
    migrationsApplied(subject),
    imageScan(subject),
    storage(v),
    kustomization(v),
    ...[metaMonitoring, edgeErrors, gracefulShutdown, scheduling, recommendedLabels].map((criterion) => criterion(subject)),
  ];
}
