/**
 * Runtime evidence: the files that the commands readiness prints write on the cluster, read from one
 * folder (`npm run readiness -- dist/<env> --evidence DIR`):
 *
 *   DIR/k6.log              kubectl logs job/load-test (the k6 summary line), or the summary JSON
 *   DIR/rollout/*.json      kubectl get <kind> <name> -o json, after kubectl rollout status
 *   DIR/migrations.json     kubectl get job backend-migrate-<version> -o json
 *   DIR/trivy/*.json        trivy image --format json, one report per image
 *
 * Reading never throws on a file's content: a file that is not what its place expects becomes an
 * error naming the file, which the criterion that reads that kind of evidence fails on.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isRecord } from '../../model/json';
import { parseK6Summary, type K6Summary } from './k6';
import { type KubeObject } from '../../contract';

/** One vulnerability of a Trivy report (the fields readiness reads). */
export interface TrivyVulnerability {
  readonly VulnerabilityID: string;
  readonly PkgName?: string;
  readonly InstalledVersion?: string;
  readonly FixedVersion?: string;
  readonly Severity: string;
}

/** A Trivy JSON report (`trivy image --format json`, schema version 2). */
export interface TrivyReport {
  readonly ArtifactName: string;
  readonly Metadata?: { readonly RepoDigests?: readonly string[]; readonly ImageID?: string };
  readonly Results?: ReadonlyArray<{ readonly Target?: string; readonly Vulnerabilities?: readonly TrivyVulnerability[] | null }>;
}

/** A file of evidence that could not be read as what its place expects. */
export interface EvidenceError {
  readonly kind: 'k6' | 'rollout' | 'migrations' | 'trivy';
  readonly file: string;
  readonly message: string;
}

export interface Evidence {
  /** The folder, as commands name it. */
  readonly dir: string;
  readonly k6?: { readonly file: string; readonly summary: K6Summary };
  /** Workload objects as the cluster returned them, each with the file it came from. */
  readonly rollouts: ReadonlyArray<{ readonly file: string; readonly object: KubeObject }>;
  readonly migrations?: { readonly file: string; readonly object: KubeObject };
  readonly trivy: ReadonlyArray<{ readonly file: string; readonly report: TrivyReport }>;
  readonly errors: readonly EvidenceError[];
}

/** Where each kind of evidence goes under the folder. */
export const EVIDENCE_FILES = { k6: 'k6.log', rollout: 'rollout', migrations: 'migrations.json', trivy: 'trivy' } as const;

function readJson(file: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(fs.readFileSync(file, 'utf8')) };
  } catch (error) {
    return { ok: false, message: `not valid JSON (${(error as Error).message.split('\n')[0]})` };
  }
}

function isKubeObject(value: unknown): value is KubeObject {
  return isRecord(value) && typeof value.kind === 'string' && isRecord(value.metadata) && typeof value.metadata.name === 'string';
}

function jsonFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((n) => n.endsWith('.json')).sort().map((n) => path.join(dir, n)) : [];
}

/** Checks the parts of a Trivy report readiness relies on; returns what is wrong, or undefined. */
function trivyProblem(value: unknown): string | undefined {
  if (!isRecord(value)) return 'not a Trivy JSON report (expected an object)';
  if (typeof value.SchemaVersion !== 'number') return 'not a Trivy JSON report (no SchemaVersion; expected trivy image --format json)';
  if (typeof value.ArtifactName !== 'string') return 'not a Trivy JSON report (no ArtifactName)';
  if (value.Results !== undefined && !Array.isArray(value.Results)) return 'Results is not a list';
  if (value.Metadata !== undefined && !isRecord(value.Metadata)) return 'Metadata is not an object';
  const digests = isRecord(value.Metadata) ? value.Metadata.RepoDigests : undefined;
  if (digests !== undefined && digests !== null && !(Array.isArray(digests) && digests.every((d) => typeof d === 'string'))) return 'Metadata.RepoDigests is not a list of image references';
  for (const r of (value.Results ?? []) as unknown[]) {
    if (!isRecord(r)) return 'a Results entry is not an object';
    const vulns = r.Vulnerabilities;
    if (vulns !== undefined && vulns !== null && !Array.isArray(vulns)) return 'a Results entry has Vulnerabilities that is not a list';
    for (const v of (vulns ?? []) as unknown[]) {
      if (!isRecord(v) || typeof v.VulnerabilityID !== 'string' || typeof v.Severity !== 'string') return 'a vulnerability without VulnerabilityID or Severity';
    }
  }
  return undefined;
}

/**
 * Reads an evidence folder. `shown` is how messages name it.
 * @throws Error only when the folder itself does not exist.
 */
export function readEvidence(dir: string, shown: string): Evidence {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`--evidence: ${shown}: no such folder`);
  const rel = (file: string) => path.join(shown, path.relative(dir, file));
  const errors: EvidenceError[] = [];

  let k6: Evidence['k6'];
  const k6File = path.join(dir, EVIDENCE_FILES.k6);
  if (fs.existsSync(k6File)) {
    try {
      k6 = { file: rel(k6File), summary: parseK6Summary(fs.readFileSync(k6File, 'utf8'), rel(k6File)) };
    } catch (error) {
      errors.push({ kind: 'k6', file: rel(k6File), message: (error as Error).message.replace(`${rel(k6File)}: `, '') });
    }
  }

  const rollouts: Array<{ file: string; object: KubeObject }> = [];
  for (const file of jsonFiles(path.join(dir, EVIDENCE_FILES.rollout))) {
    const read = readJson(file);
    if (!read.ok) {
      errors.push({ kind: 'rollout', file: rel(file), message: read.message });
      continue;
    }
    const items = isRecord(read.value) && read.value.kind === 'List' && Array.isArray(read.value.items) ? read.value.items : [read.value];
    const bad = items.find((o) => !isKubeObject(o) || !isRecord(o.status));
    if (bad !== undefined) errors.push({ kind: 'rollout', file: rel(file), message: 'not the output of kubectl get <kind> <name> -o json (expected kind, metadata.name and status)' });
    else for (const object of items as KubeObject[]) rollouts.push({ file: rel(file), object });
  }

  let migrations: Evidence['migrations'];
  const migrationsFile = path.join(dir, EVIDENCE_FILES.migrations);
  if (fs.existsSync(migrationsFile)) {
    const read = readJson(migrationsFile);
    if (!read.ok) errors.push({ kind: 'migrations', file: rel(migrationsFile), message: read.message });
    else if (!isKubeObject(read.value) || read.value.kind !== 'Job') errors.push({ kind: 'migrations', file: rel(migrationsFile), message: 'not a Job (expected the output of kubectl get job <name> -o json)' });
    else migrations = { file: rel(migrationsFile), object: read.value };
  }

  const trivy: Array<{ file: string; report: TrivyReport }> = [];
  for (const file of jsonFiles(path.join(dir, EVIDENCE_FILES.trivy))) {
    const read = readJson(file);
    const problem = read.ok ? trivyProblem(read.value) : read.message;
    if (problem) errors.push({ kind: 'trivy', file: rel(file), message: problem });
    else trivy.push({ file: rel(file), report: (read as { value: TrivyReport }).value });
  }
  return { dir: shown, ...(k6 ? { k6 } : {}), rollouts, ...(migrations ? { migrations } : {}), trivy, errors };
}
