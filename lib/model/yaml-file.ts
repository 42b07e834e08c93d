/**
 * Reading a YAML file that a person edits (an environment file, the sealed values): a fast parse
 * for a good file, and for a file with problems a second parse that keeps positions, so every
 * problem names its file, line, column and field path, and what was found against what was
 * expected.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { CORE_SCHEMA, load } from 'js-yaml';
import { isMap, LineCounter, parseDocument, type Document, type Node, type Pair } from 'yaml';
import { FORMATS } from './formats';
import { describeValue, type Problem } from './problems';
import { valueAt } from './validators';

/** Finds the line and column of the node at a path (or of its key, for unknown keys). */
export type Locate = (path: readonly (string | number)[], key: boolean) => { line?: number; column?: number };

/** A file's parsed data, and where its nodes are (worked out only when a problem needs it). */
export interface YamlFile {
  readonly file: string;
  readonly data: unknown;
  readonly locate: Locate;
}

/** Parses `text`; a file that is not valid YAML gives its problems, each at its line and column. */
export function readYamlFile(file: string, text: string): { ok: true; yaml: YamlFile } | { ok: false; problems: Problem[] } {
  let parsed: ReturnType<typeof withPositions> | undefined;
  const positions = () => (parsed ??= withPositions(text));
  let data: unknown;
  try {
    data = load(text, { schema: CORE_SCHEMA });
  } catch {
    const { doc, lineCounter } = positions();
    if (doc.errors.length > 0) {
      return {
        ok: false,
        // The parser's first error is the fault; the ones after it follow from it (a bracket left
        // open makes every later line look wrong), so only the first is reported.
        problems: doc.errors.slice(0, 1).map((error) => {
          const pos = lineCounter.linePos(error.pos[0]);
          return { file, line: pos.line, column: pos.col, path: '', message: `invalid YAML: ${firstLine(error.message)}` };
        }),
      };
    }
    data = doc.toJS({ maxAliasCount: 100 });
  }
  const locate: Locate = (path, key) => {
    const { doc, lineCounter } = positions();
    return locator(doc, lineCounter)(path, key);
  };
  return { ok: true, yaml: { file, data, locate } };
}

/**
 * The schema's objections to a file, one per field: unknown keys with the keys allowed there,
 * missing keys, and wrong values with what was expected. `hint` ends every message.
 */
export function schemaProblems(yaml: YamlFile, validate: ValidateFunction, schema: unknown, hint = ''): Problem[] {
  if (validate(yaml.data)) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  for (const error of validate.errors ?? []) {
    const path = pointerToPath(error.instancePath);
    let problem: { path: (string | number)[]; message: string; key: boolean };
    switch (error.keyword) {
      case 'additionalProperties': {
        const key = (error.params as { additionalProperty: string }).additionalProperty;
        const parentSchema = schemaAt(schema, error.schemaPath.replace(/\/additionalProperties$/, ''));
        const allowed = Object.keys((parentSchema?.properties as object | undefined) ?? {});
        problem = { path: [...path, key], key: true, message: `found unknown key ${JSON.stringify(key)}, expected ${allowed.length ? `one of: ${allowed.join(', ')}` : 'no other key'}` };
        break;
      }
      case 'required': {
        const missing = (error.params as { missingProperty: string }).missingProperty;
        problem = { path: [...path, missing], key: false, message: 'found nothing, expected this key to be set' };
        break;
      }
      default:
        problem = { path, key: false, message: `found ${describeValue(valueAt(yaml.data, path))}, expected ${expectation(error, valueAt(yaml.data, path))}` };
    }
    const line = `${joinPath(problem.path)}|${problem.message}`;
    if (seen.has(line)) continue;
    seen.add(line);
    problems.push({ file: yaml.file, ...yaml.locate(problem.key ? problem.path : path, problem.key), path: joinPath(problem.path), message: `${problem.message}${hint}` });
  }
  return problems;
}

/** `backend.resources.limits.memory`, `cluster.nodeAddresses[0]`. */
export function joinPath(path: readonly (string | number)[]): string {
  return path.reduce<string>((acc, part) => (typeof part === 'number' ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '');
}

function withPositions(text: string): { doc: Document; lineCounter: LineCounter } {
  const lineCounter = new LineCounter();
  return { doc: parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true }), lineCounter };
}

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

function schemaAt(schema: unknown, pointer: string): Record<string, unknown> | undefined {
  let node: unknown = schema;
  for (const part of pointer.split('/').slice(1)) {
    if (!node || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
  }
  return node as Record<string, unknown> | undefined;
}

function expectation(error: ErrorObject, value: unknown): string {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    // `cpu: 1` is a number to YAML: a string wanted there is written in quotes.
    case 'type': return params.type === 'string' && typeof value === 'number' ? `a string: write it in quotes, "${String(value)}"` : `a value of type ${String(params.type).replace(',', ' or ')}`;
    case 'format': return FORMATS[String(params.format)]?.expected ?? `format ${String(params.format)}`;
    case 'minimum': return `a number of at least ${String(params.limit)}`;
    case 'maximum': return `a number of at most ${String(params.limit)}`;
    case 'minItems': return `at least ${String(params.limit)} item(s)`;
    case 'minProperties': return `at least ${String(params.limit)} entr${params.limit === 1 ? 'y' : 'ies'}`;
    case 'minLength': return 'a non-empty string';
    case 'uniqueItems': return 'no duplicates';
    case 'enum': return `one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const': return JSON.stringify(params.allowedValue);
    case 'pattern': return `a value matching ${String(params.pattern)}`;
    case 'propertyNames': return `key names matching the schema (found ${JSON.stringify((params as { propertyName?: string }).propertyName)})`;
    default: return error.message ?? 'a valid value';
  }
}

function firstLine(message: string): string {
  return message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
}
