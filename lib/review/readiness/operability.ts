/**
 * Readiness criteria of operability: a system that notices its own failures (meta-monitoring, the
 * edge's errors watched) and rolls without dropping requests (graceful shutdown, priority classes,
 * a disruption budget or a written decision for every workload, spread, the recommended labels).
 * Each is judged from rendered objects only; what is missing is a blocking FAIL in production and
 * a WARN elsewhere.
 */
import { edgeDataPlanes } from '../inspect/edge';
import { namespacesFromObjects, NetworkModel, podsFromObjects, STOCK_NAMESPACES } from '../inspect/network-policy';
import { LONG_RUNNING, podSpecOf, podTemplateOf, POD_OWNERS, scaleOf } from '../inspect/workloads';
import { SIGN_OFF } from '../../model/sign-off';
import { productionVerdict, type CriterionResult } from './result';
import type { Subject } from './subject';
import { sealCommand, sealedKeys, undeliverable } from './provenance';
import { DISRUPTION_ANNOTATION, EDGE_SCRAPE, type EdgeScrapeKind, HOST_ACCESS_ANNOTATION, type KubeObject, RECOMMENDED_LABELS, objectId as id } from '../../contract';
import { GRACEFUL_SHUTDOWN } from '../../model/graceful-shutdown';
import { configMapFile } from './config-file';

type Json = Record<string, any>;


function configFile(v: Subject, configMap: string, file: string): Json | undefined {
  return configMapFile(v.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === configMap), file);
}

/** Every rule of the rendered rules files, by alert name. */
function alertRules(v: Subject): Map<string, Json> {
  const cm = v.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'prometheus-rules');
  const rules = new Map<string, Json>();
  for (const file of Object.keys((cm?.data ?? {}) as Json)) {
    for (const group of (configMapFile(cm, file)?.groups ?? []) as Json[]) for (const r of (group.rules ?? []) as Json[]) if (r.alert) rules.set(String(r.alert), r);
  }
  return rules;
}

/** The alerts that keep the pipeline honest, beyond the Watchdog and TargetDown. */
const META_ALERTS: Readonly<Record<string, string>> = {
  KubeStateMetricsAbsent: 'the guard of the backup, crash-loop and resource alerts (kube-state-metrics)',
  PostgresBackupMetricsAbsent: 'the guard of the backup alerts (the CronJobs reported)',
  CertManagerMetricsAbsent: 'the guard of certificate expiry (the cert-manager scrape)',
  AlertmanagerNotificationsFailing: 'Alertmanager failing to deliver',
  PrometheusRuleEvaluationFailures: 'Prometheus failing to evaluate rules',
  PrometheusNotConnectedToAlertmanager: 'Prometheus without an Alertmanager',
};

/** The Watchdog to a dead-man's switch that can deliver, TargetDown for every job, the guards and the pipeline's own alerts. */
export function metaMonitoring(v: Subject): CriterionResult {
  const title = "Meta-monitoring: a Watchdog to a dead-man's switch, TargetDown for every scrape job, guards for missing inputs";
  const problems: string[] = [];
  const evidence: string[] = [];
  const fix: string[] = [];
  const rules = alertRules(v);
  const prometheus = configFile(v, 'prometheus-config', 'prometheus.yml');
  const alertmanager = configFile(v, 'alertmanager-config', 'alertmanager.yml');
  if (!prometheus || rules.size === 0 || !alertmanager) {
    return productionVerdict(v, 'meta-monitoring', title, ['no Prometheus configuration, rules or Alertmanager configuration (ConfigMaps prometheus-config, prometheus-rules, alertmanager-config)'], []);
  }
  // The Watchdog: always firing, routed first to a receiver that posts to a URL the cluster has.
  const watchdog = rules.get('Watchdog');
  if (!watchdog || String(watchdog.expr).trim() !== 'vector(1)') problems.push('no Watchdog alert that always fires (expr vector(1))');
  const route = ((alertmanager.route?.routes ?? []) as Json[]).find((r) => ((r.matchers ?? []) as string[]).includes('alertname="Watchdog"'));
  const receiver = ((alertmanager.receivers ?? []) as Json[]).find((r) => r.name === route?.receiver);
  const hook = ((receiver?.webhook_configs ?? []) as Json[])[0];
  if (!route || !hook) problems.push("the Watchdog is routed to no dead-man's-switch webhook");
  else if (hook.url) problems.push(`receiver ${receiver!.name}: the dead-man's-switch URL is written inline`);
  else if (hook.url_file) {
    const workload = v.objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'alertmanager');
    const pod = podSpecOf(workload);
    const mount = ((pod?.containers ?? []) as Json[]).flatMap((c) => (c.volumeMounts ?? []) as Json[]).find((m) => String(hook.url_file).startsWith(`${m.mountPath}/`));
    const volume = ((pod?.volumes ?? []) as Json[]).find((vol) => vol.name === mount?.name);
    const key = String(hook.url_file).slice(String(mount?.mountPath ?? '').length + 1);
    const sealed = volume?.secret && sealedKeys(v.objects).find((k) => k.namespace === workload!.metadata.namespace && k.name === volume.secret.secretName && k.key === key);
    const why = sealed ? undeliverable(sealed) : undefined;
    if (!volume?.secret) problems.push(`${hook.url_file}: not mounted from a Secret`);
    else if (sealed && why) {
      problems.push(`receiver ${receiver!.name} cannot deliver: the dead-man's-switch URL (${sealed.namespace}/${sealed.name} key ${key}) is ${why}`);
      fix.push(sealCommand(v.name, sealed));
    } else evidence.push(`Watchdog every ${String(route.repeat_interval)} to receiver ${receiver!.name}, URL from secret ${volume.secret.secretName} key ${key}`);
  }
  // TargetDown for every scrape job, including a job with no target at all.
  const jobs = ((prometheus.scrape_configs ?? []) as Json[]).map((j) => String(j.job_name));
  const targetDown = String(rules.get('TargetDown')?.expr ?? '');
  // absent(up{job="<job>"}), or narrowed to a namespace the job discovers (absent(up{job="<job>", namespace="..."})):
  // another namespace would find no target there, and fire for ever.
  const escaped = (job: string) => job.replace(/[-.]/g, '\\$&');
  const discovers = (job: string) => ((prometheus.scrape_configs ?? []) as Json[]).filter((j) => j.job_name === job).flatMap((j) => ((j.kubernetes_sd_configs ?? []) as Json[]).flatMap((c) => (c.namespaces?.names ?? []) as string[]));
  const absentWatched = (job: string) => {
    const m = new RegExp(`absent\\(up\\{job="${escaped(job)}"(?:, namespace="([^"]+)")?\\}\\)`).exec(targetDown);
    return m !== null && (m[1] === undefined || discovers(job).includes(m[1]));
  };
  const unwatched = jobs.filter((job) => !absentWatched(job) || !new RegExp(`up\\{job=~"[^"]*\\b${escaped(job)}\\b`).test(targetDown));
  if (!targetDown) problems.push('no TargetDown alert');
  else if (unwatched.length) problems.push(`TargetDown does not watch the scrape job(s) ${unwatched.join(', ')} (down, or without any target)`);
  else evidence.push(`TargetDown watches all ${jobs.length} scrape jobs: ${jobs.join(', ')}`);
  const missing = Object.keys(META_ALERTS).filter((a) => !rules.has(a));
  for (const alert of missing) problems.push(`no ${alert}: ${META_ALERTS[alert]} would go unnoticed`);
  if (missing.length === 0) evidence.push(`alerts on ${Object.values(META_ALERTS).join('; ')}`);
  return productionVerdict(v, 'meta-monitoring', title, problems, evidence, fix);
}

/** Whatever serves the host is scraped (flow allowed) and its 5xx share alerted on at the sign-off's rate. */
export function edgeErrors(v: Subject): CriterionResult {
  const title = "Edge errors watched: what serves the host scraped, its 5xx share alerted on at the sign-off's rate";
  const problems: string[] = [];
  const evidence: string[] = [];
  const prometheus = configFile(v, 'prometheus-config', 'prometheus.yml');
  const rules = alertRules(v);
  const planes = edgeDataPlanes(v.objects);
  if (planes.length === 0) return productionVerdict(v, 'edge-errors', title, ['no Gateway or Ingress naming its data plane: nothing to watch'], []);
  const all = [...v.objects, ...v.manual];
  const pods = podsFromObjects(all);
  const scraper = pods.find((p) => p.labels['app.kubernetes.io/name'] === 'prometheus');
  let model: NetworkModel | undefined;
  try {
    model = new NetworkModel(v.objects.filter((o) => o.kind === 'NetworkPolicy'), namespacesFromObjects(v.objects, [...STOCK_NAMESPACES, ...planes.map((p) => p.pod.namespace)]));
  } catch (error) {
    problems.push(`the NetworkPolicies are invalid: ${(error as Error).message}`);
  }
  const alert = rules.get('EdgeHighErrorRate');
  // The share each edge is judged at: `(ratio) > N and on (job) (traffic floor)`, or a bare `ratio > N`.
  const expr = String(alert?.expr ?? '');
  const judged = [...expr.matchAll(/\)\s*>\s*([0-9.e-]+)\s*\n\s*and on/g)].map((m) => Number(m[1]));
  const threshold = judged.length ? Math.max(...judged) : Number(/>\s*([0-9.e-]+)\s*$/.exec(expr)?.[1] ?? NaN);
  if (!alert) problems.push('no EdgeHighErrorRate alert: 5xx answered at the edge reach no one');
  else if (!(threshold <= SIGN_OFF.loadTestErrorRate)) problems.push(`EdgeHighErrorRate fires above ${String(threshold)}, not at the sign-off's ${SIGN_OFF.loadTestErrorRate}`);
  for (const { edge, pod } of planes) {
    const kind: EdgeScrapeKind = edge.kind === 'Gateway' ? 'gateway' : 'ingress';
    const scrape = EDGE_SCRAPE[kind];
    const job = ((prometheus?.scrape_configs ?? []) as Json[]).find((j) => j.job_name === scrape.job);
    const where = `${id(edge)} data plane ${pod.namespace}`;
    if (!job) {
      problems.push(`${where}: no scrape job ${scrape.job}`);
      continue;
    }
    const namespaces = ((job.kubernetes_sd_configs ?? []) as Json[]).flatMap((c) => (c.namespaces?.names ?? []) as string[]);
    const keeps = ((job.relabel_configs ?? []) as Json[]).filter((r) => r.action === 'keep').length;
    const address = ((job.relabel_configs ?? []) as Json[]).find((r) => r.target_label === '__address__')?.replacement;
    if (!namespaces.includes(pod.namespace)) problems.push(`${where}: job ${scrape.job} discovers ${namespaces.join(', ') || 'no namespace'}, not ${pod.namespace}`);
    else if (keeps < Object.keys(pod.labels).length || address !== `$1:${scrape.port}` || job.metrics_path !== scrape.path) problems.push(`${where}: job ${scrape.job} does not keep exactly the data plane's pods on :${scrape.port}${scrape.path}`);
    else if (scraper && model && !model.isAllowed(scraper, { ...pod, ports: [...pod.ports, { name: 'metrics', port: scrape.port, protocol: 'TCP' }] }, scrape.port)) problems.push(`${where}: the NetworkPolicies deny prometheus -> :${scrape.port}`);
    else if (alert && !String(alert.expr).includes(`job="${scrape.job}"`)) problems.push(`${where}: EdgeHighErrorRate does not read job ${scrape.job}`);
    else evidence.push(`${where}: scraped as ${scrape.job} on :${scrape.port}${scrape.path} (egress allowed), 5xx share alerted above ${String(threshold)}`);
  }
  return productionVerdict(v, 'edge-errors', title, problems, evidence);
}

/** The backend and frontend wait out the endpoint propagation, then finish in-flight requests, and roll at full capacity. */
export function gracefulShutdown(v: Subject): CriterionResult {
  const title = 'Graceful shutdown: preStop longer than endpoint propagation, a grace period that covers in-flight requests, maxUnavailable 0';
  const problems: string[] = [];
  const evidence: string[] = [];
  for (const name of ['backend', 'frontend']) {
    const d = v.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === name);
    if (!d) {
      problems.push(`no Deployment ${name}`);
      continue;
    }
    const pod = podSpecOf(d)!;
    const container = ((pod.containers ?? []) as Json[])[0] ?? {};
    const command = (container.lifecycle?.preStop?.exec?.command ?? []) as string[];
    const sleep = command[0] === 'sleep' ? Number(command[1]) : (container.lifecycle?.preStop?.sleep?.seconds as number | undefined);
    const grace = (pod.terminationGracePeriodSeconds as number | undefined) ?? 30;
    const strategy = (d.spec as Json).strategy ?? {};
    const unavailable = strategy.rollingUpdate?.maxUnavailable;
    if (sleep === undefined || !Number.isFinite(sleep)) problems.push(`${id(d)}: no preStop delay: it stops while the proxies still send it requests (502 on every rollout)`);
    else if (!(sleep > GRACEFUL_SHUTDOWN.endpointPropagationSeconds)) problems.push(`${id(d)}: preStop waits ${sleep}s, not longer than the ${GRACEFUL_SHUTDOWN.endpointPropagationSeconds}s endpoint propagation`);
    else if (!(grace >= sleep + GRACEFUL_SHUTDOWN.inFlightSeconds)) problems.push(`${id(d)}: terminationGracePeriodSeconds ${grace} leaves under ${GRACEFUL_SHUTDOWN.inFlightSeconds}s for in-flight requests after the ${sleep}s preStop`);
    if (strategy.type !== 'RollingUpdate' || String(unavailable) !== '0') problems.push(`${id(d)}: rolls with ${strategy.type ?? 'the default strategy'} and maxUnavailable ${String(unavailable ?? '25%')}, not at full capacity (maxUnavailable 0)`);
    if (!problems.some((p) => p.startsWith(id(d)))) evidence.push(`${id(d)}: preStop sleep ${sleep}s, terminationGracePeriodSeconds ${grace}, RollingUpdate maxUnavailable 0 maxSurge ${String(strategy.rollingUpdate?.maxSurge)}`);
  }
  return productionVerdict(v, 'graceful-shutdown', title, problems, evidence);
}

/** Priority classes on every pod, the data tier and backend above the rest, node agents highest; a PDB or written decision, and spread. */
export function scheduling(v: Subject): CriterionResult {
  const title = 'Scheduling: priority classes set, a disruption budget or written decision for every workload, spread for every replicated one';
  const problems: string[] = [];
  const evidence: string[] = [];
  const priorityClasses = v.objects.filter((o) => o.kind === 'PriorityClass');
  const classes = new Map(priorityClasses.map((c) => [c.metadata.name, Number((c as Json).value)]));
  const preempts = new Map(priorityClasses.map((c) => [c.metadata.name, ((c as Json).preemptionPolicy ?? 'PreemptLowerPriority') !== 'Never']));
  const owners = [...v.objects, ...v.manual].filter((o) => POD_OWNERS.includes(o.kind));
  const valueOf = (o: KubeObject | undefined): number | undefined => {
    const name = podSpecOf(o)?.priorityClassName as string | undefined;
    return name === undefined ? undefined : classes.get(name);
  };
  for (const o of owners) {
    const name = podSpecOf(o)?.priorityClassName as string | undefined;
    if (!name) problems.push(`${id(o)}: no priorityClassName`);
    else if (!classes.has(name)) problems.push(`${id(o)}: PriorityClass ${name} is not defined in this output`);
    else if (o.kind !== 'DaemonSet' && preempts.get(name)) problems.push(`${id(o)}: PriorityClass ${name} preempts lower priorities: a scale-out or a job could evict the cluster's own components (preemptionPolicy: Never)`);
  }
  const named = (kind: string, name: string) => v.objects.find((o) => o.kind === kind && o.metadata.name === name);
  const frontend = valueOf(named('Deployment', 'frontend'));
  for (const [kind, name] of [['StatefulSet', 'postgres'], ['Deployment', 'backend']] as const) {
    const value = valueOf(named(kind, name));
    if (value !== undefined && frontend !== undefined && !(value > frontend)) problems.push(`${kind} ${name}: priority ${value} is not above the frontend's ${frontend}`);
  }
  // Node agents must be able to take a full node from the rest of Gravl (they preempt, and rank
  // above it), but never from the data tier or the backend; nothing else preempts, so a scale-out
  // never evicts the cluster's own components (the edge's proxies among them).
  const critical = new Set(['postgres', 'backend']);
  const rest = owners.filter((o) => o.kind !== 'DaemonSet' && !critical.has(o.metadata.name));
  const restTop = Math.max(...rest.map((o) => valueOf(o) ?? -Infinity));
  const criticalLow = Math.min(...owners.filter((o) => critical.has(o.metadata.name) && o.kind !== 'DaemonSet').map((o) => valueOf(o) ?? Infinity));
  for (const ds of owners.filter((o) => o.kind === 'DaemonSet')) {
    const value = valueOf(ds);
    const name = podSpecOf(ds)?.priorityClassName as string | undefined;
    if (value !== undefined && !(value > restTop)) problems.push(`${id(ds)}: priority ${value} is not above the other Gravl workloads' (${restTop}): it may stay unscheduled on a full node`);
    if (value !== undefined && !(value < criticalLow)) problems.push(`${id(ds)}: priority ${value} is not below the data tier's and the backend's (${criticalLow}): it could preempt them`);
    if (name && preempts.get(name) === false) problems.push(`${id(ds)}: PriorityClass ${name} never preempts: the node agent may stay unscheduled on a full node`);
    if (!ds.metadata.annotations?.[HOST_ACCESS_ANNOTATION]) problems.push(`${id(ds)}: no ${HOST_ACCESS_ANNOTATION} annotation giving policy tools the reason for its host access`);
  }
  const budgets = v.objects.filter((o) => o.kind === 'PodDisruptionBudget');
  for (const w of owners) {
    const labels = podTemplateOf(w)?.metadata?.labels ?? {};
    const budget = budgets.find((b) => b.metadata.namespace === w.metadata.namespace && Object.entries(((b.spec as Json).selector?.matchLabels ?? {}) as Json).every(([k, val]) => labels[k] === val));
    const decision = w.metadata.annotations?.[DISRUPTION_ANNOTATION];
    if (!budget && !decision) problems.push(`${id(w)}: neither a PodDisruptionBudget nor a written decision (${DISRUPTION_ANNOTATION})`);
    if (!LONG_RUNNING.includes(w.kind)) continue;
    const replicas = w.kind === 'DaemonSet' ? 1 : scaleOf(w, v.objects).count;
    if (replicas > 1 && !((podSpecOf(w)?.topologySpreadConstraints ?? []) as Json[]).some((c) => c.topologyKey === 'kubernetes.io/hostname')) problems.push(`${id(w)}: ${replicas} replicas without topology spread over nodes`);
  }
  const withBudget = v.objects.filter((o) => LONG_RUNNING.includes(o.kind) && !o.metadata.annotations?.[DISRUPTION_ANNOTATION]).length;
  evidence.push(
    `${owners.length} pod owners, each with a PriorityClass of this output (${[...classes].map(([n, val]) => `${n} ${val}`).join(', ')})`,
    `postgres and backend above the frontend; the node agents above everything else, their host access annotated`,
    `${withBudget} workload(s) behind a PodDisruptionBudget, the others and every Job and CronJob with a written decision; every replicated workload spread over nodes`,
  );
  return productionVerdict(v, 'scheduling', title, problems, problems.length ? [] : evidence);
}

/** The recommended labels on every object and pod template; selectors free of version and instance. */
export function recommendedLabels(v: Subject): CriterionResult {
  const title = 'Labels: the Kubernetes recommended labels on every object and pod template, stable selectors';
  const problems: string[] = [];
  const all = [...v.objects, ...v.manual];
  let templates = 0;
  for (const o of all) {
    const missing = RECOMMENDED_LABELS.filter((k) => !o.metadata.labels?.[k]);
    if (missing.length) problems.push(`${id(o)}: no ${missing.join(', ')}`);
    const template = POD_OWNERS.includes(o.kind) ? podTemplateOf(o) : undefined;
    if (template) {
      templates++;
      const lacking = RECOMMENDED_LABELS.filter((k) => !template.metadata?.labels?.[k]);
      if (lacking.length) problems.push(`${id(o)} pod template: no ${lacking.join(', ')}`);
    }
    const selector = (o.spec as Json | undefined)?.selector;
    const matchLabels = (selector?.matchLabels ?? (o.kind === 'Service' ? selector : undefined) ?? {}) as Json;
    for (const unstable of ['app.kubernetes.io/version', 'app.kubernetes.io/instance']) if (unstable in matchLabels) problems.push(`${id(o)}: selects on ${unstable}, which changes (an immutable selector would block the next release)`);
  }
  const shown = problems.slice(0, 20);
  if (problems.length > shown.length) shown.push(`... and ${problems.length - shown.length} more`);
  return productionVerdict(v, 'labels', title, shown, [`${all.length} objects and ${templates} pod templates carry ${RECOMMENDED_LABELS.join(', ')}; no selector uses version or instance`]);
}
