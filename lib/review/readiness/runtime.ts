/**
 * The criteria only a running cluster (or a scanner) can decide: every workload rolled out with the
 * rendered images, the migration Job of the rendered version completed, and every rendered image
 * scanned. Without evidence each is RUNTIME with the command that collects it; with evidence each is
 * judged, and evidence of another digest, version or namespace does not count.
 */
import { parseImage } from '../../model/formats';
import { LONG_RUNNING, POD_OWNERS, podSpecOf } from '../inspect/workloads';
import type { CriterionResult } from './result';
import type { Subject } from './subject';
import { EVIDENCE_FILES, type Evidence, type EvidenceError, type TrivyReport } from './evidence';
import { type KubeObject, objectId as id } from '../../contract';

type Json = Record<string, any>;


/** Where the printed commands write their evidence. */
export function evidenceDir(name: string): string {
  return `evidence/${name}`;
}

function errorsOf(evidence: Evidence | undefined, kind: EvidenceError['kind']): string[] {
  return (evidence?.errors ?? []).filter((e) => e.kind === kind).map((e) => `${e.file}: ${e.message}`);
}

/** The containers' images of a pod-owning object, by container name. */
function imagesOf(o: KubeObject | Json): Map<string, string> {
  const pod = podSpecOf(o as KubeObject);
  // Evidence comes from outside: read only what has the shape of a container list.
  const list = (value: unknown) => (Array.isArray(value) ? value.filter((c): c is Json => typeof c === 'object' && c !== null) : []);
  return new Map([...list(pod?.initContainers), ...list(pod?.containers)].map((c) => [String(c.name), String(c.image)]));
}

/** Why a rollout object does not show a finished rollout, or undefined when it does. */
function unfinished(o: KubeObject): string | undefined {
  const status = (o as Json).status ?? {};
  const spec = (o.spec ?? {}) as Json;
  const generation = (o.metadata as Json).generation as number | undefined;
  if (generation !== undefined && !(status.observedGeneration >= generation)) return `observedGeneration ${String(status.observedGeneration)} is behind generation ${generation}`;
  if (o.kind === 'DaemonSet') {
    const want = status.desiredNumberScheduled;
    if (!(typeof want === 'number' && status.updatedNumberScheduled === want && status.numberAvailable === want)) return `${String(status.updatedNumberScheduled)} updated and ${String(status.numberAvailable)} available of ${String(want)} scheduled`;
    return undefined;
  }
  const want = spec.replicas ?? 1;
  if (o.kind === 'StatefulSet' && status.updateRevision && status.currentRevision !== status.updateRevision) return `revision ${String(status.currentRevision)} is not the update revision ${String(status.updateRevision)}`;
  const available = o.kind === 'StatefulSet' ? status.readyReplicas : status.availableReplicas;
  if (!(status.updatedReplicas === want && available === want && (status.replicas ?? want) === want)) return `${String(status.updatedReplicas)} updated and ${String(available)} ready of ${want} replicas`;
  return undefined;
}

/** `kubectl rollout status` of every long-running workload, saving each as evidence. */
export function rolloutCommand(subject: Subject): string {
  const dir = `${evidenceDir(subject.name)}/${EVIDENCE_FILES.rollout}`;
  const workloads = subject.objects.filter((o) => LONG_RUNNING.includes(o.kind));
  // In a subshell: the first rollout that fails stops the loop, not the shell it was pasted into.
  return `mkdir -p ${dir} && (for w in ${workloads.map((o) => `${o.metadata.namespace}/${o.kind.toLowerCase()}/${o.metadata.name}`).join(' ')}; do ns="\${w%%/*}"; r="\${w#*/}"; kubectl -n "$ns" rollout status "$r" --timeout=5m && kubectl -n "$ns" get "$r" -o json > "${dir}/$ns.\${r%%/*}.\${r#*/}.json" || exit 1; done)`;
}

/**
 * Waits, in a shell, until a Job has ended, completed or failed (`kubectl wait` takes one
 * condition, so a Job that failed would hold it until its timeout; the Job's own deadline ends
 * it), and fails at once where kubectl cannot read the Job (not there yet, another context): in
 * a subshell, so that `exit` leaves only the wait. Chain what follows with &&.
 */
export function waitForJobEnd(namespace: string | undefined, job: string): string {
  return `(while :; do s=$(kubectl -n ${namespace} get job/${job} -o jsonpath='{.status.conditions[?(@.status=="True")].type}') || exit 1; case "$s" in *Complete*|*Failed*) exit 0 ;; esac; sleep 10; done)`;
}

/** Every Deployment, StatefulSet and DaemonSet rolled out, running the rendered images. */
export function podsHealthy(subject: Subject): CriterionResult {
  const base = { id: 'pods-healthy', title: 'Application pods healthy: every workload rolled out with the rendered images', blocking: true } as const;
  const command = rolloutCommand(subject);
  const workloads = subject.objects.filter((o) => LONG_RUNNING.includes(o.kind));
  const evidence = subject.evidence;
  const errors = errorsOf(evidence, 'rollout');
  if (!evidence || (evidence.rollouts.length === 0 && errors.length === 0)) {
    return { ...base, status: 'RUNTIME', evidence: [`${workloads.length} workload(s) to verify on the cluster: every Deployment, StatefulSet and DaemonSet rolled out`], command };
  }
  const problems = [...errors];
  const passed: string[] = [];
  const missing: string[] = [];
  for (const w of workloads) {
    const seen = evidence.rollouts.filter((r) => r.object.kind === w.kind && r.object.metadata.name === w.metadata.name);
    const match = seen.find((r) => r.object.metadata.namespace === w.metadata.namespace);
    if (!match) {
      if (seen.length > 0) problems.push(`${seen[0]!.file}: ${w.kind} ${w.metadata.name} of namespace ${String(seen[0]!.object.metadata.namespace)}, not ${w.metadata.namespace}: does not count`);
      else missing.push(id(w));
      continue;
    }
    const want = imagesOf(w);
    const got = imagesOf(match.object);
    const wrong = [...want].filter(([name, image]) => got.get(name) !== image).map(([name, image]) => `container ${name} runs ${got.get(name) ?? 'nothing'}, not the rendered ${image}`);
    const why = unfinished(match.object);
    if (wrong.length) problems.push(`${match.file}: ${id(w)}: ${wrong.join('; ')}: does not count`);
    else if (why) problems.push(`${match.file}: ${id(w)} has not finished rolling out: ${why}`);
    else passed.push(id(w));
  }
  if (problems.length) return { ...base, status: 'FAIL', evidence: [...problems, ...(missing.length ? [`no evidence for ${missing.join(', ')}`] : [])], command };
  if (missing.length) return { ...base, status: 'RUNTIME', evidence: [`rolled out: ${passed.join(', ')}`, `no evidence yet for ${missing.join(', ')}`], command };
  return { ...base, status: 'PASS', evidence: [`all ${passed.length} workloads rolled out with the rendered images (${evidence.dir}/${EVIDENCE_FILES.rollout})`] };
}

/** The migration Job of the rendered version completed, in the rendered namespace, with the rendered image. */
export function migrationsApplied(subject: Subject): CriterionResult {
  const base = { id: 'migrations-applied', title: 'Database migrations applied: the rendered migration Job completed', blocking: true } as const;
  const job = subject.objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('backend-migrate'));
  if (!job) return { ...base, status: 'FAIL', evidence: ['no migration Job (backend-migrate-<version>) in the output'] };
  const ns = job.metadata.namespace;
  // Its status either way: a failed migration is evidence too, judged FAIL with its reason.
  const command = `mkdir -p ${evidenceDir(subject.name)} && ${waitForJobEnd(ns, job.metadata.name)} && kubectl -n ${ns} get job ${job.metadata.name} -o json > ${evidenceDir(subject.name)}/${EVIDENCE_FILES.migrations}`;
  const errors = errorsOf(subject.evidence, 'migrations');
  if (errors.length) return { ...base, status: 'FAIL', evidence: errors, command };
  const seen = subject.evidence?.migrations;
  if (!seen) return { ...base, status: 'RUNTIME', evidence: [`${id(job)} to complete on the cluster`], command };
  const o = seen.object;
  const problems: string[] = [];
  if (o.metadata.name !== job.metadata.name) problems.push(`${seen.file}: Job ${o.metadata.name}, not the rendered ${job.metadata.name} (another migration version): does not count`);
  else if (o.metadata.namespace !== ns) problems.push(`${seen.file}: Job ${o.metadata.name} of namespace ${String(o.metadata.namespace)}, not ${ns}: does not count`);
  else {
    const want = imagesOf(job);
    const got = imagesOf(o);
    for (const [name, image] of want) if (got.get(name) !== image) problems.push(`${seen.file}: container ${name} ran ${got.get(name) ?? 'nothing'}, not the rendered ${image}: does not count`);
    const conditions = (((o as Json).status?.conditions ?? []) as Json[]);
    const complete = conditions.some((c) => c.type === 'Complete' && c.status === 'True');
    const failed = conditions.find((c) => c.type === 'Failed' && c.status === 'True');
    if (failed) problems.push(`${seen.file}: ${id(job)} failed (${String(failed.reason ?? 'no reason')})`);
    else if (!complete) problems.push(`${seen.file}: ${id(job)} has not completed (no Complete condition)`);
  }
  if (problems.length) return { ...base, status: 'FAIL', evidence: problems, command };
  return { ...base, status: 'PASS', evidence: [`${id(job)} completed (${seen.file})`] };
}

/** Every image the environment runs, once, in a stable order. */
export function imagesOfOutput(objects: readonly KubeObject[]): string[] {
  const images = new Set<string>();
  for (const o of objects.filter((x) => POD_OWNERS.includes(x.kind))) for (const image of imagesOf(o).values()) images.add(image);
  return [...images].sort();
}

/** The file name the printed command writes an image's report to. */
function reportName(image: string): string {
  const parsed = parseImage(image);
  const base = `${parsed?.name.split('/').pop() ?? 'image'}-${parsed?.tag ?? parsed?.digest?.slice(7, 19) ?? 'untagged'}`;
  return `${base.replace(/[^A-Za-z0-9._-]/g, '_')}.json`;
}

/** The command that writes an image's scan report where readiness reads it. */
export function scanCommand(name: string, image: string): string {
  return `trivy image --format json --output ${evidenceDir(name)}/${EVIDENCE_FILES.trivy}/${reportName(image)} ${image}`;
}

/** Whether a report is of this image: by digest where the image has one, else by the exact reference. */
function reportOf(report: TrivyReport, image: string): boolean {
  const digest = parseImage(image)?.digest;
  if (digest) return (report.Metadata?.RepoDigests ?? []).some((d) => d.endsWith(`@${digest}`)) || report.ArtifactName.endsWith(`@${digest}`);
  return report.ArtifactName === image;
}

/** The scanned reference's repository, to say which image a report that matches nothing was of. */
function repositoryOf(reference: string): string | undefined {
  return parseImage(reference)?.name;
}

/** Every image scanned by Trivy: no CRITICAL, no HIGH with a fix available (blocking in production). */
export function imageScan(subject: Subject): CriterionResult {
  const title = 'Images scanned: no CRITICAL and no fixable HIGH vulnerability (Trivy)';
  // Every image is scanned before GO, in every environment; what the scans find blocks production
  // only (elsewhere it is reported, advisory).
  const base = { id: 'image-scan', title, blocking: true } as const;
  const images = imagesOfOutput([...subject.objects, ...subject.manual]);
  const commands = images.map((image) => scanCommand(subject.name, image));
  // One command per line: each image's scan is printed on its own.
  const command = [`mkdir -p ${evidenceDir(subject.name)}/${EVIDENCE_FILES.trivy}`, ...commands].join('\n');
  const evidence = subject.evidence;
  const errors = errorsOf(evidence, 'trivy');
  if (!evidence || (evidence.trivy.length === 0 && errors.length === 0)) {
    return { ...base, status: 'RUNTIME', evidence: [`${images.length} image(s) to scan, by digest${subject.production ? '' : ' (advisory here)'}, each with the command below`], command };
  }
  const findings = [...errors];
  const clean: string[] = [];
  const unscanned: string[] = [];
  for (const image of images) {
    const reports = evidence.trivy.filter((t) => reportOf(t.report, image));
    if (reports.length === 0) {
      // A report of the same repository at another digest is named, so nobody wonders why it did not count.
      const other = evidence.trivy.find((t) => repositoryOf(t.report.ArtifactName) === parseImage(image)?.name);
      if (other) findings.push(`${other.file}: scanned ${other.report.ArtifactName}${other.report.Metadata?.RepoDigests?.length ? ` (${other.report.Metadata.RepoDigests.join(', ')})` : ''}, not the rendered ${image}: does not count`);
      unscanned.push(image);
      continue;
    }
    const vulns = reports.flatMap((r) => (r.report.Results ?? []).flatMap((x) => x.Vulnerabilities ?? []).map((v) => ({ ...v, file: r.file })));
    const critical = vulns.filter((v) => v.Severity === 'CRITICAL');
    const fixableHigh = vulns.filter((v) => v.Severity === 'HIGH' && (v.FixedVersion ?? '') !== '');
    const describe = (v: (typeof vulns)[number]) => `${v.VulnerabilityID} in ${v.PkgName ?? '?'} ${v.InstalledVersion ?? ''}${v.FixedVersion ? ` (fixed in ${v.FixedVersion})` : ''}`;
    if (critical.length || fixableHigh.length) {
      findings.push(`${image} (${reports[0]!.file}): ${[...critical.map((v) => `CRITICAL ${describe(v)}`), ...fixableHigh.map((v) => `HIGH ${describe(v)}`)].join(', ')}`);
    } else {
      clean.push(image);
    }
  }
  const notScanned = unscanned.map((image) => `${image}: no scan report of this ${parseImage(image)?.digest ? 'digest' : 'reference'}; ${scanCommand(subject.name, image)}`);
  if (findings.length && subject.production) return { ...base, status: 'FAIL', evidence: [...findings, ...notScanned], command };
  if (unscanned.length) return { ...base, status: 'RUNTIME', evidence: [...findings, `scanned: ${images.length - unscanned.length} image(s)`, ...notScanned], command };
  if (findings.length) return { ...base, blocking: false, status: 'WARN', evidence: findings, command };
  return { ...base, status: 'PASS', evidence: [`all ${clean.length} image(s) scanned (${evidence.dir}/${EVIDENCE_FILES.trivy}): no CRITICAL, no fixable HIGH`] };
}
