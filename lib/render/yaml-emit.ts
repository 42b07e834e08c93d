/**
 * The manifests' YAML, byte for byte what lib/kit/yaml.ts (js-yaml's dump with its options) writes,
 * in a fraction of the time: js-yaml weighs every string against every style and every implicit
 * type, which was a third of an environment's render. Here a string of the common shape (a name, a
 * label, a path: letters, digits and `_./-`) is plain unless a YAML reader would take it for
 * something else, checked with js-yaml's own resolvers; any other string is written by js-yaml
 * itself (and remembered, when short); anything but JSON values goes to js-yaml whole. A test
 * compares both writers on every rendered object.
 */
import { DEFAULT_SCHEMA, dump } from 'js-yaml';
import { yamlText } from '../kit/yaml';

/** The options of lib/kit/yaml.ts, for the strings handed to js-yaml. */
const OPTIONS = { lineWidth: -1, noRefs: true, noCompatMode: false } as const;

/** Resolvers of the implicit types (null, bool, int, float, timestamp, merge): a plain string they accept would not read back as a string. */
const IMPLICIT = (DEFAULT_SCHEMA as unknown as { compiledImplicit: readonly { resolve(text: string): boolean }[] }).compiledImplicit;
/** YAML 1.1 booleans, quoted for readers such as kubectl's (js-yaml's compat mode). */
const DEPRECATED_BOOLEANS = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF']);
/** Strings plain-safe in every position (no indicator first, no `: `, `#`, quote, space or line break). */
const SIMPLE = /^[A-Za-z0-9_./][A-Za-z0-9_./-]*$/;

/** A character other than a line break that js-yaml does not print as it is (its isPrintable: a tab, a control character, a lone surrogate...). */
const UNPRINTABLE = /[^\n\x20-\x7E\xA1-\u2027\u202A-\uD7FF\uE000-\uFEFE\uFF00-\uFFFD\u{10000}-\u{10FFFF}]/u;

/** Raised where a value is not one this writer handles: js-yaml writes the whole document. */
class Unsupported extends Error {}

const PADS: string[] = [];
function newLine(level: number): string {
  return (PADS[level] ??= `\n${'  '.repeat(level)}`);
}

/** js-yaml's representation of other strings, top-level (so level-independent unless a block literal). */
const others = new Map<string, string>();
const REMEMBERED_LENGTH = 256;

function otherString(text: string, level: number): string {
  let written = others.get(text);
  if (written === undefined) {
    written = dump(text, OPTIONS).slice(0, -1);
    if (text.length <= REMEMBERED_LENGTH) others.set(text, written);
  }
  // A block literal is indented by its level: written again here as js-yaml's writeScalar does.
  return written.charCodeAt(0) === 0x7c /* | */ ? literal(text, level) : written;
}

/** js-yaml's literal block scalar (style `|`) at a level. */
function literal(text: string, level: number): string {
  const indicator = /^\n* /.test(text) ? '2' : '';
  const clip = text[text.length - 1] === '\n';
  const keep = clip && (text[text.length - 2] === '\n' || text === '\n');
  const chomp = keep ? '+' : clip ? '' : '-';
  const indent = ' '.repeat(2 * Math.max(1, level));
  let body = '';
  for (let position = 0; position < text.length; ) {
    const next = text.indexOf('\n', position);
    const line = next === -1 ? text.slice(position) : text.slice(position, next + 1);
    position = next === -1 ? text.length : next + 1;
    if (line.length && line !== '\n') body += indent;
    body += line;
  }
  return `|${indicator}${chomp}\n${body.endsWith('\n') ? body.slice(0, -1) : body}`;
}

function string(text: string, level: number): string {
  if (text === '') return "''";
  if (SIMPLE.test(text)) return DEPRECATED_BOOLEANS.has(text) || IMPLICIT.some((t) => t.resolve(text)) ? `'${text}'` : text;
  // Several lines of printable characters (a configuration file): js-yaml writes a block literal.
  if (text.includes('\n') && !UNPRINTABLE.test(text)) return literal(text, level);
  return otherString(text, level);
}

function key(text: string): string {
  // A key is single-line only, and a long one is written as an explicit pair: js-yaml's business.
  if (text.includes('\n')) throw new Unsupported();
  const written = string(text, 1);
  if (written.length > 1024) throw new Unsupported();
  return written;
}

function number(value: number): string {
  return Number.isInteger(value) && !Object.is(value, -0) ? String(value) : dump(value, OPTIONS).slice(0, -1);
}

function node(value: unknown, level: number, compact: boolean): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return string(value, level);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return number(value);
    case 'undefined':
      return undefined;
    case 'object':
      if (Array.isArray(value)) return value.length === 0 ? '[]' : sequence(value, level, compact);
      if (Object.prototype.toString.call(value) !== '[object Object]') throw new Unsupported();
      return mapping(value as Record<string, unknown>, level, compact);
    default:
      throw new Unsupported();
  }
}

function mapping(object: Record<string, unknown>, level: number, compact: boolean): string {
  let out = '';
  for (const k of Object.keys(object)) {
    const written = node(object[k], level + 1, false);
    if (written === undefined) continue;
    out += `${!compact || out !== '' ? newLine(level) : ''}${key(k)}${written.charCodeAt(0) === 0x0a ? ':' : ': '}${written}`;
  }
  return out === '' ? '{}' : out;
}

function sequence(items: readonly unknown[], level: number, compact: boolean): string {
  let out = '';
  for (let i = 0; i < items.length; i++) {
    const written = node(items[i], level + 1, true) ?? 'null';
    out += `${!compact || out !== '' ? newLine(level) : ''}${written.charCodeAt(0) === 0x0a ? '-' : '- '}${written}`;
  }
  return out;
}

/** One YAML document, as lib/kit/yaml.ts's yamlText writes it. */
export function fastYamlText(value: unknown): string {
  try {
    const written = node(value, 0, true);
    if (written !== undefined) return `${written}\n`;
  } catch (error) {
    if (!(error instanceof Unsupported)) throw error;
  }
  return yamlText(value);
}
