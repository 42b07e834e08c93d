/**
 * Generates imports/schemas.generated.json, the schemas the tests validate rendered objects
 * against (test/support/kube-schema.ts), from upstream files:
 *
 * - `kubernetes-v<version>-definitions.json`: the Kubernetes OpenAPI v2 definitions. Kept: every
 *   definition a kind reaches (a kind: each `x-kubernetes-group-version-kind` that is not an alpha
 *   version; a cluster serves alpha APIs only when they are turned on), and the index of kinds.
 * - `crds/<project>-v<version>-*.yaml`: upstream CustomResourceDefinitions. Kept: the
 *   `openAPIV3Schema` of each version a CRD serves, under its apiVersion and kind (identical schemas
 *   once, the others pointing at it).
 *
 * Of each schema only the keywords the validator reads are kept (KEPT); those it does not read are
 * dropped (DROPPED: descriptions, defaults, CEL rules, list and patch hints); any other keyword
 * stops the import, so that a new upstream keyword is never dropped unseen. Keys are sorted, and a
 * header names the upstream versions, the source files' SHA-256 and the command.
 *
 *   npm run import-schemas -- [--from DIR] [--out FILE]
 *
 * The generated file is committed; nothing but this script writes it.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jsYaml from 'js-yaml';
import { commandUsage, parseCommand, UsageError, type CommandSpec } from '../lib/cli/commands';

const ROOT = path.resolve(__dirname, '..');

/** Where the generated file is, relative to the repository root. */
export const SCHEMAS_FILE = 'imports/schemas.generated.json';

/** The folder of the upstream files when `--from` is not given, relative to the repository root. */
export const DEFAULT_FROM = '../shared/reference';

/** How the file is regenerated, as its header says. */
export const REGENERATE_COMMAND = 'npm run import-schemas -- --from DIR (DIR holds crds/ and kubernetes-v<version>-definitions.json)';

/** Schema keywords the validator reads (ajv, and the unknown-field walk): kept. */
const KEPT = new Set([
  '$ref',
  'type',
  'properties',
  'additionalProperties',
  'items',
  'required',
  'enum',
  'format',
  'pattern',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minLength',
  'maxLength',
  'minItems',
  'maxItems',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'oneOf',
  'anyOf',
  'allOf',
  'not',
  'nullable',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-int-or-string',
]);

/**
 * Schema keywords the validator does not read: dropped. CEL rules (`x-kubernetes-validations`) and
 * the list, map and patch hints are the API server's business and not checked by the tests;
 * `x-kubernetes-group-version-kind` becomes the index of kinds.
 */
const DROPPED = new Set([
  'description',
  'title',
  'default',
  'example',
  'externalDocs',
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-map-type',
  'x-kubernetes-patch-strategy',
  'x-kubernetes-patch-merge-key',
  'x-kubernetes-unions',
  'x-kubernetes-embedded-resource',
  'x-kubernetes-group-version-kind',
]);

/** A schema as kept: only KEPT keywords, at any depth. */
export type Schema = { readonly [keyword: string]: unknown };

/** A custom kind: its schema, or the key (`apiVersion kind`) of the kind whose schema it shares. */
export type CustomKind = { readonly upstream: string } & ({ readonly schema: Schema } | { readonly sameSchemaAs: string });

/** The content of the generated file. */
export interface GeneratedSchemas {
  readonly _generated: {
    readonly note: string;
    readonly command: string;
    /** Upstream project → version (`Kubernetes` → `v1.28.0`). */
    readonly upstream: Readonly<Record<string, string>>;
    /** Source file (relative to the folder read) → `sha256:<hex>`. */
    readonly sources: Readonly<Record<string, string>>;
    /** `sha256:<hex>` of the rest of the file (`crds` and `kubernetes`, serialized as here): an edit by hand shows. */
    readonly digest: string;
  };
  /** `apiVersion kind` → the custom kind. */
  readonly crds: Readonly<Record<string, CustomKind>>;
  readonly kubernetes: {
    /** `apiVersion kind` → the name of its definition. */
    readonly kinds: Readonly<Record<string, string>>;
    readonly definitions: Readonly<Record<string, Schema>>;
  };
}

/** A problem with the upstream files: one line naming the file (and the schema path). */
export class ImportError extends Error {
  override name = 'ImportError';
}

const KUBERNETES_FILE = /^kubernetes-(v\d+\.\d+\.\d+)-definitions\.json$/;
const CRD_FILE = /^([a-z0-9]+(?:-[a-z0-9]+)*?)-(v\d+\.\d+\.\d+)-.+\.ya?ml$/;
const DEFINITIONS_PREFIX = '#/definitions/';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function sha256(text: string | Buffer): string {
  return `sha256:${createHash('sha256').update(text).digest('hex')}`;
}

/**
 * A schema with only the KEPT keywords. The names under `properties` are fields (kept whatever
 * they are called); `enum` holds values (kept as they are).
 */
function reduce(schema: unknown, where: string): Schema {
  if (!isObject(schema)) throw new ImportError(`${where}: found ${JSON.stringify(schema)?.slice(0, 40)}, expected a schema (an object)`);
  const out: Record<string, unknown> = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (DROPPED.has(keyword)) continue;
    if (!KEPT.has(keyword)) throw new ImportError(`${where}: unknown schema keyword ${JSON.stringify(keyword)}, expected one the validator reads (KEPT in scripts/import-schemas.ts) or one it does not (DROPPED)`);
    if (keyword === 'properties') out[keyword] = mapValues(value, (v, k) => reduce(v, `${where}.properties.${k}`), where);
    else if (keyword === 'additionalProperties' || keyword === 'items' || keyword === 'not') out[keyword] = typeof value === 'boolean' ? value : reduce(value, `${where}.${keyword}`);
    else if (keyword === 'oneOf' || keyword === 'anyOf' || keyword === 'allOf') {
      if (!Array.isArray(value)) throw new ImportError(`${where}.${keyword}: found ${JSON.stringify(value)?.slice(0, 40)}, expected a list of schemas`);
      out[keyword] = value.map((v, i) => reduce(v, `${where}.${keyword}[${i}]`));
    } else out[keyword] = value;
  }
  return out;
}

function mapValues<T>(value: unknown, f: (v: unknown, k: string) => T, where: string): Record<string, T> {
  if (!isObject(value)) throw new ImportError(`${where}: found ${JSON.stringify(value)?.slice(0, 40)}, expected a map`);
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, f(v, k)]));
}

/** Every `$ref` string anywhere in a schema, as definition names. */
function refs(schema: unknown, found: string[] = []): string[] {
  if (Array.isArray(schema)) for (const s of schema) refs(s, found);
  else if (isObject(schema)) {
    for (const [key, value] of Object.entries(schema)) {
      if (key === '$ref' && typeof value === 'string') found.push(value.startsWith(DEFINITIONS_PREFIX) ? value.slice(DEFINITIONS_PREFIX.length) : value);
      else if (key !== 'enum') refs(value, found);
    }
  }
  return found;
}

interface CustomResourceDefinition {
  kind?: unknown;
  spec?: { group?: unknown; names?: { kind?: unknown }; versions?: Array<{ name?: unknown; served?: unknown; schema?: { openAPIV3Schema?: unknown } }> };
}

/** The file's content, from the upstream files in `from`: what `npm run import-schemas` writes. */
export function generateSchemas(from: string): string {
  if (!fs.existsSync(from) || !fs.statSync(from).isDirectory()) throw new ImportError(`${from}: no such folder, expected the folder holding crds/ and kubernetes-v<version>-definitions.json`);
  const upstream: Record<string, string> = {};
  const sources: Record<string, string> = {};
  const note = (project: string, version: string, file: string): void => {
    if (upstream[project] !== undefined && upstream[project] !== version) throw new ImportError(`${file}: ${project} ${version}, but another file is ${project} ${upstream[project]}: expected one version of each project`);
    upstream[project] = version;
  };

  // The Kubernetes definitions.
  const kubernetesFiles = fs.readdirSync(from).filter((f) => KUBERNETES_FILE.test(f));
  if (kubernetesFiles.length !== 1) throw new ImportError(`${from}: found ${kubernetesFiles.length} files kubernetes-v<version>-definitions.json, expected one`);
  const kubernetesFile = kubernetesFiles[0]!;
  const kubernetesText = fs.readFileSync(path.join(from, kubernetesFile));
  sources[kubernetesFile] = sha256(kubernetesText);
  note('Kubernetes', KUBERNETES_FILE.exec(kubernetesFile)![1]!, kubernetesFile);
  let parsed: unknown;
  try {
    parsed = JSON.parse(kubernetesText.toString('utf8'));
  } catch (error) {
    throw new ImportError(`${kubernetesFile}: not JSON: ${(error as Error).message}`);
  }
  if (!isObject(parsed) || !isObject(parsed.definitions)) throw new ImportError(`${kubernetesFile}: definitions: missing, expected the map of OpenAPI definitions`);
  const all = parsed.definitions as Record<string, unknown>;
  const kinds: Record<string, string> = {};
  for (const [name, definition] of Object.entries(all)) {
    const gvks = isObject(definition) ? definition['x-kubernetes-group-version-kind'] : undefined;
    for (const gvk of Array.isArray(gvks) ? (gvks as Array<{ group?: string; version?: string; kind?: string }>) : []) {
      if (typeof gvk.version !== 'string' || typeof gvk.kind !== 'string') throw new ImportError(`${kubernetesFile}: ${name}.x-kubernetes-group-version-kind: found ${JSON.stringify(gvk)}, expected version and kind`);
      if (/alpha/.test(gvk.version)) continue;
      const key = `${gvk.group ? `${gvk.group}/${gvk.version}` : gvk.version} ${gvk.kind}`;
      // Some kinds (DeleteOptions, WatchEvent) are listed for every group: one definition each.
      if (kinds[key] !== undefined && kinds[key] !== name) throw new ImportError(`${kubernetesFile}: ${key} is both ${kinds[key]} and ${name}, expected one definition per kind`);
      kinds[key] = name;
    }
  }
  const definitions: Record<string, Schema> = {};
  const pending = Object.values(kinds);
  while (pending.length > 0) {
    const name = pending.pop()!;
    if (definitions[name]) continue;
    if (all[name] === undefined) throw new ImportError(`${kubernetesFile}: definitions.${name}: missing, expected it (a kind reaches it by $ref)`);
    definitions[name] = reduce(all[name], `${kubernetesFile}: definitions.${name}`);
    pending.push(...refs(definitions[name]));
  }

  // The CRDs.
  const crdsDir = path.join(from, 'crds');
  if (!fs.existsSync(crdsDir)) throw new ImportError(`${crdsDir}: no such folder, expected the upstream CRD files`);
  const crdFiles = fs
    .readdirSync(crdsDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const crds: Record<string, { upstream: string; schema: Schema }> = {};
  for (const file of crdFiles) {
    const shown = `crds/${file}`;
    const name = CRD_FILE.exec(file);
    if (!name) throw new ImportError(`${shown}: the name does not say the upstream project and version, expected <project>-v<x.y.z>-<anything>.yaml`);
    const text = fs.readFileSync(path.join(crdsDir, file));
    sources[shown] = sha256(text);
    note(name[1]!, name[2]!, shown);
    let docs: unknown[];
    try {
      docs = jsYaml.loadAll(text.toString('utf8'));
    } catch (error) {
      throw new ImportError(`${shown}: not YAML: ${(error as Error).message.split('\n')[0]}`);
    }
    let found = 0;
    for (const crd of docs as Array<CustomResourceDefinition | null>) {
      if (crd?.kind !== 'CustomResourceDefinition') continue;
      found++;
      const { group, names, versions } = crd.spec ?? {};
      if (typeof group !== 'string' || typeof names?.kind !== 'string' || !Array.isArray(versions)) throw new ImportError(`${shown}: spec: found no group, names.kind or versions, expected a CustomResourceDefinition`);
      for (const version of versions) {
        if (version.served !== true) continue;
        const key = `${group}/${String(version.name)} ${names.kind}`;
        const openApi = version.schema?.openAPIV3Schema;
        if (!openApi) throw new ImportError(`${shown}: ${key}: schema.openAPIV3Schema: missing, expected the schema of a served version`);
        if (crds[key]) throw new ImportError(`${shown}: ${key}: a second CRD serves it (also in ${crds[key]!.upstream})`);
        crds[key] = { upstream: `${name[1]} ${name[2]}`, schema: reduce(openApi, `${shown}: ${key}`) };
      }
    }
    if (found === 0) throw new ImportError(`${shown}: no CustomResourceDefinition, expected at least one`);
  }
  // Identical schemas (Issuer and ClusterIssuer, the versions Gateway API serves side by side) once.
  const customKinds: Record<string, CustomKind> = {};
  const firstOf = new Map<string, string>();
  for (const key of Object.keys(crds).sort()) {
    const { upstream: project, schema } = crds[key]!;
    const text = canonicalJson(schema);
    const first = firstOf.get(text);
    if (first) customKinds[key] = { upstream: project, sameSchemaAs: first };
    else {
      firstOf.set(text, key);
      customKinds[key] = { upstream: project, schema };
    }
  }

  const body = { crds: customKinds, kubernetes: { definitions, kinds } };
  const generated: GeneratedSchemas = {
    _generated: {
      note: `Generated by scripts/import-schemas.ts from upstream files: never edit by hand. Only what the schema tests read is kept (keywords they do not read, such as descriptions, are dropped).`,
      command: REGENERATE_COMMAND,
      upstream,
      sources,
      digest: bodyDigest(body),
    },
    ...body,
  };
  return serialize(generated);
}

/** The digest the header records: of `crds` and `kubernetes`, serialized as the file writes them. */
export function bodyDigest(body: Pick<GeneratedSchemas, 'crds' | 'kubernetes'>): string {
  return sha256(serialize({ crds: body.crds, kubernetes: body.kubernetes }));
}

/** JSON with sorted keys on one line (list order kept: it is meaningful). */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value)) {
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The file's text: keys sorted; the top levels one entry a line (a definition, a kind, a source
 * per line, so that a regeneration's diff names them), each schema on one line.
 */
export function serialize(value: unknown, depth = 0): string {
  if (depth >= 3 || !isObject(value)) return canonicalJson(value);
  const keys = Object.keys(value).sort();
  if (keys.length === 0) return '{}';
  const indent = ' '.repeat(depth + 1);
  const lines = keys.map((k) => `${indent}${JSON.stringify(k)}: ${serialize(value[k], depth + 1)}`);
  return `{\n${lines.join(',\n')}\n${' '.repeat(depth)}}${depth === 0 ? '\n' : ''}`;
}

const SPEC: CommandSpec = {
  name: 'import-schemas',
  summary: `regenerate ${SCHEMAS_FILE}, the schemas the tests validate rendered objects against, from the upstream files`,
  options: {
    from: { type: 'string', value: 'DIR', default: DEFAULT_FROM, path: true, description: 'the folder holding crds/ and kubernetes-v<version>-definitions.json' },
    out: { type: 'string', value: 'FILE', default: SCHEMAS_FILE, path: true, description: 'the file written' },
  },
  notes: ['Exit codes: 0 written; 1 a problem with the upstream files (nothing written); 2 a wrong command line.'],
};

/** Where a run of the command reads and writes: the process's own in the real command. */
export interface ImportSchemasIo {
  /** The working folder: paths on the command line resolve against it, and are shown relative to it. */
  readonly cwd: string;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** The command: `argv` without the program; returns the exit code (0 written, 1 a problem with the upstream files, 2 a wrong command line). */
export function importSchemasCli(argv: readonly string[], io: ImportSchemasIo): number {
  try {
    const args = parseCommand(SPEC, argv, ROOT, io.cwd);
    if (args.help) {
      io.stdout(commandUsage(SPEC));
      return 0;
    }
    const from = args.values.from as string;
    const out = args.values.out as string;
    const text = generateSchemas(from);
    const before = fs.existsSync(out) ? fs.readFileSync(out, 'utf8') : undefined;
    fs.writeFileSync(out, text);
    const shown = path.relative(io.cwd, out);
    io.stdout(`${shown}: ${before === text ? 'unchanged' : 'written'} (${text.length} bytes, from ${path.relative(io.cwd, from) || '.'})\n`);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`import-schemas: ${error.message}\n\n${commandUsage(SPEC)}`);
      return 2;
    }
    if (error instanceof ImportError) {
      io.stderr(`import-schemas: ${error.message}\n`);
      return 1;
    }
    throw error;
  }
}

if (require.main === module) {
  process.exitCode = importSchemasCli(process.argv.slice(2), { cwd: process.cwd(), stdout: (text) => void process.stdout.write(text), stderr: (text) => void process.stderr.write(text) });
}
