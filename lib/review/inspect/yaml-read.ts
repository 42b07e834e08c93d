/**
 * Reading rendered YAML fast. The `yaml` package, which judges every manifest this repository
 * reads, builds a syntax tree with positions for its error messages; js-yaml reads the rendered
 * manifests several times faster. A text is read with js-yaml only when the result is certain to
 * be what the `yaml` package gives: js-yaml reads it with the `yaml` package's own scalar rules
 * (the YAML 1.2 core schema, below), and the text is exactly what the generator writes for what
 * was read (each document written as lib/kit/yaml.ts writes it, joined with `---`). Such a text
 * holds none of what the two parsers read differently: no directive, anchor, explicit or
 * collection key, null key, comment, multi-line flow scalar, and none of the invalid YAML js-yaml
 * accepts (a quoted string continued on a line indented too little, a comment right after a
 * quote). Any other text (a hand edit, invalid YAML, a tag such as `!!binary`) is read with the
 * `yaml` package as before, with its results and its error messages.
 */
import { Schema, Type, dump, loadAll } from 'js-yaml';

/**
 * How the generator writes each document (lib/kit/yaml.ts; lib/review reads only the contract and
 * the model, so the options are repeated here). Should they part, no file is read on the fast path
 * any more (slower, never wrong), and the test that reads the committed dist/ on it fails.
 */
const WRITTEN = { lineWidth: -1, noRefs: true, noCompatMode: false } as const;

// The tests below are those of node_modules/yaml/dist/schema/core/{null,bool,int,float}.js, in the
// order that schema tries them (null, bool, int: octal, decimal, hex; float: nan/inf, exponent,
// decimal), and the values are built as there (parseInt/parseFloat of the same substrings; the
// `intAsBigInt` option is off by default).
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const INT_OCT = /^0o[0-7]+$/;
const INT = /^[-+]?[0-9]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT_NAN = /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/;
const FLOAT_EXP = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/;

// js-yaml's failsafe schema (lib/type/str.js, seq.js, map.js), except that an empty node tagged `!!seq` or `!!map` is not
// read as [] or {} (the `yaml` package reads it as '' and warns): js-yaml rejects it, so the
// `yaml` package reads the text.
const strType = new Type('tag:yaml.org,2002:str', { kind: 'scalar', construct: (data: string | null) => (data !== null ? data : '') });
const seqType = new Type('tag:yaml.org,2002:seq', { kind: 'sequence', resolve: (data: unknown) => data !== null, construct: (data: unknown) => data });
const mapType = new Type('tag:yaml.org,2002:map', { kind: 'mapping', resolve: (data: unknown) => data !== null, construct: (data: unknown) => data });

const nullType = new Type('tag:yaml.org,2002:null', {
  kind: 'scalar',
  // js-yaml hands an empty node over as null.
  resolve: (data: unknown) => data === null || (typeof data === 'string' && NULL.test(data)),
  construct: () => null,
});

const boolType = new Type('tag:yaml.org,2002:bool', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && BOOL.test(data),
  construct: (data: string) => data[0] === 't' || data[0] === 'T',
});

const intType = new Type('tag:yaml.org,2002:int', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && (INT_OCT.test(data) || INT.test(data) || INT_HEX.test(data)),
  construct: (data: string) => (INT_OCT.test(data) ? parseInt(data.substring(2), 8) : INT.test(data) ? parseInt(data, 10) : parseInt(data.substring(2), 16)),
});

const floatType = new Type('tag:yaml.org,2002:float', {
  kind: 'scalar',
  resolve: (data: unknown) => typeof data === 'string' && (FLOAT_NAN.test(data) || FLOAT_EXP.test(data) || FLOAT.test(data)),
  construct: (data: string) => (FLOAT_NAN.test(data) ? (data.slice(-3).toLowerCase() === 'nan' ? NaN : data[0] === '-' ? -Infinity : Infinity) : parseFloat(data)),
});

/**
 * The `yaml` package's default schema (YAML 1.2 core) for js-yaml: the failsafe schema (str, seq,
 * map) and the core schema's null, bool, int and float, nothing else (no timestamps, no merge
 * keys, no `1_000` numbers, which js-yaml's own core schema reads).
 */
export const YAML_CORE_SCHEMA: Schema = new Schema({ explicit: [strType, seqType, mapType], implicit: [nullType, boolType, intType, floatType] });

/**
 * The documents of `text` as the `yaml` package's `parseAllDocuments(text)` then
 * `toJS({ maxAliasCount: -1 })` gives them, when the text is exactly what the generator writes for
 * them; otherwise undefined: then read it with the `yaml` package, which also words any error.
 */
export function loadRendered(text: string): unknown[] | undefined {
  let documents: unknown[];
  try {
    documents = loadAll(text, undefined, { schema: YAML_CORE_SCHEMA });
  } catch {
    return undefined;
  }
  return documents.map((d) => dump(d, WRITTEN)).join('---\n') === text ? documents : undefined;
}
