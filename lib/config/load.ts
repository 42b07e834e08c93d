/**
 * Parses and validates environment files. Pure: main.ts reads the files and passes their text, so
 * the same code serves synth, tests and tools. Every problem in every file is reported at once.
 */
import type { ErrorObject } from 'ajv';
import { CORE_SCHEMA, load } from 'js-yaml';
import { isMap, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { FORMATS } from './formats';
import { validators, valueAt } from './validators';
import { describeValue, type Problem } from './problems';
import { checkRules } from './rules';
import { parseSealedValues, type SealedValues } from '../secrets/sealed-values';
import type { EnvironmentFile } from './schema';
// The JSON rendering of the TypeBox schema in ./schema.ts (a test keeps the two equal). Loading
// the JSON instead of building the schema with TypeBox keeps TypeBox out of every synth.
import EnvironmentSchema from '../../environments/environment.schema.json';

/** One environment: its name (the file name), where it came from, and its validated content. */
export interface Environment {
  readonly name: string;
  readonly file: string;
  readonly spec: EnvironmentFile;
  /** The environment's sealed values (empty when it has none). */
  readonly sealed: { readonly file: string; readonly values: SealedValues };
}

/** The text of one environment file, as read by main.ts. */
export interface EnvironmentSource {
  /** Path as the user should see it, e.g. environments/staging.yaml. */
  readonly file: string;
  readonly text: string;
  /** The environment's sealed values file; text undefined when the file does not exist. */
  readonly sealedValues?: { readonly file: string; readonly text?: string };
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

  // The fast parser reads a good file; the one that keeps positions reads a file that has problems,
  // to say where they are.
  let data: unknown;
  let parsed: ReturnType<typeof withPositions> | undefined;
  try {
    data = load(text, { schema: CORE_SCHEMA });
  } catch {
    parsed = withPositions(text);
    if (parsed.doc.errors.length > 0) {
      return {
        ok: false,
        problems: parsed.doc.errors.map((error) => {
          const pos = parsed!.lineCounter.linePos(error.pos[0]);
          return { file, line: pos.line, column: pos.col, path: '', message: `invalid YAML: ${firstLine(error.message)}` };
        }),
      };
    }
    data = parsed.doc.toJS({ maxAliasCount: 100 });
  }
  if (data === null || data === undefined) {
    return { ok: false, problems: [{ file, path: '', message: 'found an empty file, expected a mapping of environment settings (see environments/staging.yaml)' }] };
  }
  if (typeof data !== 'object' || Array.isArray(data)) {
    return { ok: false, problems: [{ file, line: 1, column: 1, path: '', message: `found ${describeValue(data)}, expected a mapping of environment settings` }] };
  }

  const locate: Locate = (path, key) => {
    parsed ??= withPositions(text);
    return locator(parsed.doc, parsed.lineCounter)(path, key);
  };
  const validate = validators().environment;
  const problems = validate(data) ? [] : schemaProblems(validate.errors ?? [], data, file, locate);
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
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, environment: { name, file, spec: data as EnvironmentFile, sealed: { file: sealedFile, values: sealed.values } } };
}

function withPositions(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  return { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
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
  return problems;
}

type Locate = (path: readonly (string | number)[], key: boolean) => { line?: number; column?: number };

/** Finds the line and column of the node at a path (or of its key, for unknown keys). */
function locator(doc: Document, lineCounter: LineCounter): Locate {
  return (path, key) => {
    let node: Node | undefined;
    if (key && path.length > 0) {
      const parent = path.length > 1 ? doc.getIn(path.slice(0, -1), true) : doc.contents;
      if (isMap(parent)) {
        const pair = parent.items.find((p: Pair) => (p.key as { value?: unknown } | null)?.value === path[path.length - 1]);
        node = (pair?.key as Node | undefined) ?? undefined;
      }
    }
    for (let depth = path.length; !node && depth >= 0; depth--) {
      const candidate = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
      if (candidate && typeof candidate === 'object' && 'range' in candidate) node = candidate as Node;
    }
    const offset = node?.range?.[0];
    if (offset === undefined) return {};
    const pos = lineCounter.linePos(offset);
    return { line: pos.line, column: pos.col };
  };
}

function pointerToPath(pointer: string): (string | number)[] {
  if (!pointer) return [];
  return pointer.slice(1).split('/').map((part) => {
    const unescaped = part.replace(/~1/g, '/').replace(/~0/g, '~');
    return /^\d+$/.test(unescaped) ? Number(unescaped) : unescaped;
  });
}

function joinPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function schemaAt(pointer: string): Record<string, unknown> | undefined {
  let node: unknown = EnvironmentSchema;
  for (const part of pointer.split('/').slice(1)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node as Record<string, unknown> | undefined;
}

function schemaProblems(errors: readonly ErrorObject[], data: unknown, file: string, locate: Locate): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const path = pointerToPath(error.instancePath);
    let problem: { path: (string | number)[]; message: string; key: boolean };
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = (error.params as { additionalProperty: string }).additionalProperty;
        const parentSchema = schemaAt(error.schemaPath.replace(/\/additionalProperties$/, ''));
        const allowed = Object.keys((parentSchema?.properties as object | undefined) ?? {});
        problem = { path: [...path, key], key: true, message: `found unknown key ${JSON.stringify(key)}, expected one of: ${allowed.join(', ')}` };
        break;
      }
      case 'required': {
        const missing = (error.params as { missingProperty: string }).missingProperty;
        problem = { path: [...path, missing], key: false, message: 'found nothing, expected this key to be set' };
        break;
      }
      default:
        problem = { path, key: false, message: `found ${describeValue(valueAt(data, path))}, expected ${expectation(error)}` };
    }
    const line = `${joinPath(problem.path)}|${problem.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    problems.push({ file, ...locate(problem.key ? problem.path : path, problem.key), path: joinPath(problem.path), message: problem.message });
  }
  return problems;
}

function expectation(error: ErrorObject): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type': return `a value of type ${String(params.type).replace(',', ' or ')}`;
    case 'format': return FORMATS[String(params.format)]?.expected ?? `format ${String(params.format)}`;
    case 'minimum': return `a number of at least ${String(params.limit)}`;
    case 'maximum': return `a number of at most ${String(params.limit)}`;
    case 'minItems': return `at least ${String(params.limit)} item(s)`;
    case 'minLength': return 'a non-empty string';
    case 'uniqueItems': return 'no duplicates';
    case 'enum': return `one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return JSON.stringify(params.allowedValue);
    case 'pattern': return `a value matching ${String(params.pattern)}`;
    default: return error.message ?? 'a valid value';
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
