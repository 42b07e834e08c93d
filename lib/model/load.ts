/**
 * Parses and validates environment files. Pure: the CLI (lib/cli/main.ts) reads the files and
 * passes their text, so the same code serves synth, tests and tools. Every problem in every file is
 * reported at once.
 */
import { validators } from './validators';
import { describeValue, type Problem } from './problems';
import { checkRules } from './rules';
import { readSealingCertificate, type SealingCertificate } from './certificate';
import { parseSealedValues, type SealedValues } from './sealed-values';
import type { EnvironmentFile } from './schema';
import { joinPath, readYamlFile, schemaProblems } from './yaml-file';
// The JSON rendering of the TypeBox schema in ./schema.ts (a test keeps the two equal). Loading
// the JSON instead of building the schema with TypeBox keeps TypeBox out of every synth.
import EnvironmentSchema from '../../environments/environment.schema.json';

/** One environment: its name (the file name), where it came from, and its validated content. */
export interface Environment {
  readonly name: string;
  readonly file: string;
  readonly spec: EnvironmentFile;
  /** The environment's sealed values (empty when it has none). */
  readonly sealed: {
    readonly file: string;
    readonly values: SealedValues;
    /** The command that seals a value into that file, up to `--env` (`npm run seal --`, with `--secrets DIR` when not the default). */
    readonly sealCommand: string;
    /** The sealing certificate and its provenance; undefined when the environment has none. */
    readonly certificate?: SealingCertificate;
  };
}

/** The text of one environment file, as read by the CLI (lib/cli/main.ts). */
export interface EnvironmentSource {
  /** Path as the user should see it, e.g. environments/staging.yaml. */
  readonly file: string;
  readonly text: string;
  /** The environment's sealed values file; text undefined when the file does not exist. */
  readonly sealedValues?: {
    readonly file: string;
    readonly text?: string;
    /** The seal command messages suggest. @default 'npm run seal --' */
    readonly sealCommand?: string;
  };
  /** The environment's sealing certificate; text undefined when the file does not exist. */
  readonly sealingCertificate?: { readonly file: string; readonly text?: string };
}

export type LoadResult =
  | { readonly ok: true; readonly environments: readonly Environment[] }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** The environment's name: the file name without `.yaml`. */
export function environmentName(file: string): string {
  return file.replace(/^.*\//, '').replace(/\.yaml$/, '');
}

/** Parses and validates every source; the environments come back in name order. */
export function loadEnvironments(sources: readonly EnvironmentSource[]): LoadResult {
  const problems: Problem[] = [];
  const environments: Environment[] = [];
  if (sources.length === 0) {
    return { ok: false, problems: [{ file: 'environments/', path: '', message: 'found no environment file, expected at least one environments/<name>.yaml' }] };
  }
  for (const source of sources) {
    const result = loadOne(source);
    if (result.ok) environments.push(result.environment);
    else problems.push(...result.problems);
  }
  environments.sort((a, b) => a.name.localeCompare(b.name));
  problems.push(...checkAcrossEnvironments(environments));
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, environments };
}

function loadOne(source: EnvironmentSource):
  | { ok: true; environment: Environment }
  | { ok: false; problems: Problem[] } {
  const { file, text } = source;
  const name = environmentName(file);
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
    return {
      ok: false,
      problems: [{ file, path: '', message: `found environment name ${JSON.stringify(name)}, expected a lowercase DNS label as the file name (it names dist/<name>/)` }],
    };
  }

  const read = readYamlFile(file, text);
  if (!read.ok) return read;
  const { data, locate } = read.yaml;
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ file, path: '', message: 'found an empty file, expected a mapping of environment settings (see environments/staging.yaml)' }] };
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `found ${describeValue(data)}, expected a mapping of environment settings` }] };
  }

  const problems = schemaProblems(read.yaml, validators().environment, EnvironmentSchema);
  // Rules run on invalid files too, so the user sees every problem at once; a rule and the schema
  // may both object to one field, which is said once.
  const reported = new Set(problems.map((p) => p.path));
  for (const rule of checkRules(data)) {
    const path = joinPath(rule.path);
    if (!reported.has(path)) problems.push({ file, ...locate(rule.path, false), path, message: rule.message });
  }
  const sealedFile = source.sealedValues?.file ?? `secrets/${name}/sealed-values.yaml`;
  const sealed = parseSealedValues(sealedFile, source.sealedValues?.text);
  problems.push(...sealed.problems);
  let certificate: SealingCertificate | undefined;
  const cert = source.sealingCertificate;
  if (cert?.text !== undefined) {
    try {
      certificate = readSealingCertificate(cert.file, cert.text);
    } catch (error) {
      problems.push({ file: cert.file, path: '', message: (error as Error).message.replace(`${cert.file}: `, '') });
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, environment: { name, file, spec: data as EnvironmentFile, sealed: { file: sealedFile, values: sealed.values, sealCommand: source.sealedValues?.sealCommand ?? 'npm run seal --', ...(certificate ? { certificate } : {}) } } };
}

/** Two environment files that would render into the same cluster objects are a mistake. */
function checkAcrossEnvironments(environments: readonly Environment[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, string>();
  for (const env of environments) {
    const key = `${env.spec.host}`;
    const other = seen.get(key);
    if (other) problems.push({ file: env.file, path: 'host', message: `found ${JSON.stringify(env.spec.host)}, which ${other} serves already; expected a host of its own` });
    seen.set(key, env.file);
  }
  // HSTS with includeSubDomains on a host makes browsers insist on trusted HTTPS for every name
  // under it: another environment served there (staging.gravl.app, with a Let's Encrypt staging
  // certificate browsers do not trust) would be locked out.
  for (const env of environments) {
    if (env.spec.edge?.hsts?.includeSubDomains !== true) continue;
    for (const other of environments) {
      if (other !== env && other.spec.host.endsWith(`.${env.spec.host}`)) {
        problems.push({
          file: env.file,
          path: 'edge.hsts.includeSubDomains',
          message: `found true, which makes browsers refuse ${other.spec.host} (served by ${other.file}) unless its certificate is trusted; expected false while another environment serves a subdomain of ${env.spec.host}`,
        });
      }
    }
  }
  return problems;
}
