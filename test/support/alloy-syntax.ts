/**
 * A parser of the subset of Alloy's configuration syntax that lib/system/logging/alloy-config.ts emits:
 * blocks (dotted names, an optional label), attributes, strings (double-quoted with Go escapes, or
 * backquoted raw), numbers, booleans, null, lists, objects, dotted references, function calls,
 * `+` and parentheses, and comments. Like Alloy, a newline after a value ends the statement, so
 * multi-line lists and objects need their commas.
 *
 * It rejects what Alloy rejects in that subset: unbalanced braces, unterminated strings, unknown
 * escapes, a statement without `=` or a block body, a missing comma, a label that is not an
 * identifier, a component (name and label) defined twice in one body, an attribute or object key
 * set twice. Every error names its line and column (1-based, columns counted in characters).
 */

export type ValueNode =
  | { readonly type: 'string'; readonly value: string }
  | { readonly type: 'number'; readonly value: number }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'null' }
  | { readonly type: 'list'; readonly items: readonly ValueNode[] }
  | { readonly type: 'object'; readonly fields: readonly { readonly key: string; readonly value: ValueNode }[] }
  | { readonly type: 'ref'; readonly path: string }
  | { readonly type: 'call'; readonly fn: string; readonly args: readonly ValueNode[] }
  | { readonly type: 'binary'; readonly op: '+'; readonly left: ValueNode; readonly right: ValueNode };

export interface AttributeNode {
  readonly type: 'attribute';
  readonly name: string;
  readonly value: ValueNode;
  readonly line: number;
  readonly column: number;
}

export interface BlockNode {
  readonly type: 'block';
  readonly name: string;
  readonly label?: string;
  readonly body: readonly StatementNode[];
  readonly line: number;
  readonly column: number;
}

export type StatementNode = AttributeNode | BlockNode;

/** A syntax error at a line and column. */
export class AlloySyntaxError extends Error {
  constructor(readonly line: number, readonly column: number, readonly reason: string) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'AlloySyntaxError';
  }
}

type TokenType = 'ident' | 'string' | 'number' | 'punct' | 'terminator' | 'eof';

interface Token {
  readonly type: TokenType;
  /** Identifier name, punctuation, decoded string value or number text. */
  readonly text: string;
  readonly line: number;
  readonly column: number;
}

const IDENT_START = /[\p{L}_]/u;
const IDENT_PART = /[\p{L}\p{N}_]/u;
const PUNCT = new Set(['{', '}', '[', ']', '(', ')', '=', ',', '.', '+']);
/** Operators of the full language that this subset does not read. */
const OTHER_OPERATORS = new Set(['-', '*', '/', '%', '^', '!', '<', '>', '&', '|']);

function describe(token: Token): string {
  switch (token.type) {
    case 'eof': return 'end of file';
    case 'terminator': return 'end of line';
    case 'string': return `string ${JSON.stringify(token.text)}`;
    case 'ident': return `identifier ${token.text}`;
    case 'number': return `number ${token.text}`;
    default: return `"${token.text}"`;
  }
}

/** Splits text into tokens, inserting a terminator at a newline that follows a value, as Alloy does. */
function tokenize(text: string): Token[] {
  const chars = Array.from(text);
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let column = 1;
  let insertTerminator = false;

  const advance = () => {
    const ch = chars[i++]!;
    if (ch === '\n') {
      line++;
      column = 1;
    } else {
      column++;
    }
    return ch;
  };
  const push = (type: TokenType, value: string, at: { line: number; column: number }, endsValue: boolean) => {
    tokens.push({ type, text: value, line: at.line, column: at.column });
    insertTerminator = endsValue;
  };

  while (i < chars.length) {
    const ch = chars[i]!;
    const at = { line, column };
    if (ch === '\n') {
      advance();
      if (insertTerminator) push('terminator', '\n', at, false);
      continue;
    }
    if (ch === ' ' || ch === '\t' || ch === '\r') {
      advance();
      continue;
    }
    if (ch === '/' && chars[i + 1] === '/') {
      while (i < chars.length && chars[i] !== '\n') advance();
      continue;
    }
    if (ch === '/' && chars[i + 1] === '*') {
      advance();
      advance();
      let spansLines = false;
      for (;;) {
        if (i >= chars.length) throw new AlloySyntaxError(at.line, at.column, 'block comment not terminated');
        if (chars[i] === '*' && chars[i + 1] === '/') {
          advance();
          advance();
          break;
        }
        if (advance() === '\n') spansLines = true;
      }
      if (spansLines && insertTerminator) push('terminator', '\n', at, false);
      continue;
    }
    if (IDENT_START.test(ch)) {
      let name = '';
      while (i < chars.length && IDENT_PART.test(chars[i]!)) name += advance();
      push('ident', name, at, true);
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(chars[i + 1] ?? ''))) {
      let number = '';
      while (i < chars.length && /[0-9]/.test(chars[i]!)) number += advance();
      if (chars[i] === '.') {
        number += advance();
        while (i < chars.length && /[0-9]/.test(chars[i]!)) number += advance();
      }
      if (chars[i] === 'e' || chars[i] === 'E') {
        number += advance();
        if (chars[i] === '+' || chars[i] === '-') number += advance();
        if (!/[0-9]/.test(chars[i] ?? '')) throw new AlloySyntaxError(at.line, at.column, 'exponent has no digits');
        while (i < chars.length && /[0-9]/.test(chars[i]!)) number += advance();
      }
      push('number', number, at, true);
      continue;
    }
    if (ch === '"') {
      advance();
      push('string', readQuoted(), at, true);
      continue;
    }
    if (ch === '`') {
      advance();
      let value = '';
      for (;;) {
        if (i >= chars.length) throw new AlloySyntaxError(at.line, at.column, 'raw string literal not terminated');
        const c = advance();
        if (c === '`') break;
        value += c;
      }
      push('string', value, at, true);
      continue;
    }
    if (ch === "'") throw new AlloySyntaxError(at.line, at.column, 'illegal single-quoted string; use double quotes');
    if (PUNCT.has(ch)) {
      advance();
      push('punct', ch, at, ch === '}' || ch === ']' || ch === ')');
      continue;
    }
    if (OTHER_OPERATORS.has(ch)) throw new AlloySyntaxError(at.line, at.column, `operator "${ch}" is outside the subset this parser reads`);
    throw new AlloySyntaxError(at.line, at.column, `illegal character ${JSON.stringify(ch)}`);
  }
  if (insertTerminator) tokens.push({ type: 'terminator', text: '\n', line, column });
  tokens.push({ type: 'eof', text: '', line, column });
  return tokens;

  /** The body of a double-quoted string after its opening quote, decoded (escapes may produce raw bytes). */
  function readQuoted(): string {
    const start = { line, column: column - 1 };
    const bytes: number[] = [];
    const encoder = new TextEncoder();
    for (;;) {
      if (i >= chars.length || chars[i] === '\n') throw new AlloySyntaxError(start.line, start.column, 'string literal not terminated');
      const escapeAt = { line, column };
      const c = advance();
      if (c === '"') break;
      if (c !== '\\') {
        bytes.push(...encoder.encode(c));
        continue;
      }
      if (i >= chars.length) throw new AlloySyntaxError(escapeAt.line, escapeAt.column, 'escape sequence not terminated');
      const e = advance();
      const simple: Record<string, number> = { a: 7, b: 8, f: 12, n: 10, r: 13, t: 9, v: 11, '\\': 92, '"': 34 };
      if (simple[e] !== undefined) {
        bytes.push(simple[e]!);
        continue;
      }
      const forms: Record<string, { digits: number; base: number; codePoint: boolean }> = {
        x: { digits: 2, base: 16, codePoint: false },
        u: { digits: 4, base: 16, codePoint: true },
        U: { digits: 8, base: 16, codePoint: true },
      };
      let form = forms[e];
      let digits = '';
      if (/[0-7]/.test(e)) {
        form = { digits: 3, base: 8, codePoint: false };
        digits = e;
      } else if (!form) {
        throw new AlloySyntaxError(escapeAt.line, escapeAt.column, `unknown escape sequence \\${e}`);
      }
      const digit = form.base === 8 ? /[0-7]/ : /[0-9a-fA-F]/;
      while (digits.length < form.digits) {
        if (i >= chars.length || !digit.test(chars[i]!)) throw new AlloySyntaxError(escapeAt.line, escapeAt.column, 'illegal character in escape sequence');
        digits += advance();
      }
      const value = parseInt(digits, form.base);
      if (!form.codePoint) {
        if (value > 255) throw new AlloySyntaxError(escapeAt.line, escapeAt.column, 'octal escape value above 255');
        bytes.push(value);
      } else {
        if (value > 0x10ffff || (value >= 0xd800 && value < 0xe000)) {
          throw new AlloySyntaxError(escapeAt.line, escapeAt.column, 'escape sequence is invalid Unicode code point');
        }
        bytes.push(...encoder.encode(String.fromCodePoint(value)));
      }
    }
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bytes));
    } catch {
      throw new AlloySyntaxError(start.line, start.column, 'string is not valid UTF-8 after its escapes');
    }
  }
}

const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

class Parser {
  private pos = 0;

  constructor(private readonly tokens: readonly Token[]) {}

  parseFile(): StatementNode[] {
    const body = this.parseBody('eof');
    return body;
  }

  private peek(): Token {
    return this.tokens[this.pos]!;
  }

  private next(): Token {
    return this.tokens[this.pos++]!;
  }

  private error(token: Token, reason: string): never {
    throw new AlloySyntaxError(token.line, token.column, reason);
  }

  private isPunct(text: string, token = this.peek()): boolean {
    return token.type === 'punct' && token.text === text;
  }

  private expectPunct(text: string, context: string): Token {
    const token = this.next();
    if (!this.isPunct(text, token)) this.error(token, `expected "${text}" ${context}, found ${describe(token)}`);
    return token;
  }

  /** Statements up to `}` (not consumed) or the end of the file. */
  private parseBody(until: '}' | 'eof', opener?: { name: string; token: Token }): StatementNode[] {
    const body: StatementNode[] = [];
    const attributes = new Map<string, AttributeNode>();
    const components = new Map<string, BlockNode>();
    for (;;) {
      while (this.peek().type === 'terminator') this.next();
      const token = this.peek();
      if (token.type === 'eof') {
        if (until === 'eof') return body;
        this.error(token, `expected "}" to close block ${opener!.name} opened at line ${opener!.token.line}, column ${opener!.token.column}, found end of file`);
      }
      if (this.isPunct('}')) {
        if (until === '}') return body;
        this.error(token, 'unexpected "}" with no block open');
      }
      const statement = this.parseStatement();
      if (statement.type === 'attribute') {
        const first = attributes.get(statement.name);
        if (first) this.error(token, `attribute ${statement.name} already set at line ${first.line}, column ${first.column}`);
        attributes.set(statement.name, statement);
      } else if (statement.label !== undefined) {
        const key = `${statement.name} "${statement.label}"`;
        const first = components.get(key);
        if (first) this.error(token, `block ${key} already defined at line ${first.line}, column ${first.column}`);
        components.set(key, statement);
      }
      body.push(statement);
      const after = this.peek();
      if (after.type === 'terminator') continue;
      if (after.type === 'eof' || this.isPunct('}', after)) continue;
      this.error(after, `expected end of line after the statement, found ${describe(after)}`);
    }
  }

  private parseStatement(): StatementNode {
    const start = this.next();
    if (start.type !== 'ident') this.error(start, `expected an attribute or block name, found ${describe(start)}`);
    const fragments = [start.text];
    while (this.isPunct('.')) {
      this.next();
      const part = this.next();
      if (part.type !== 'ident') this.error(part, `expected an identifier after ".", found ${describe(part)}`);
      fragments.push(part.text);
    }
    const name = fragments.join('.');
    let label: string | undefined;
    let labelToken: Token | undefined;
    if (this.peek().type === 'string') {
      labelToken = this.next();
      label = labelToken.text;
      if (!IDENTIFIER.test(label) || ['true', 'false', 'null'].includes(label)) {
        this.error(labelToken, `block label ${JSON.stringify(label)} is not a valid identifier`);
      }
    }
    const token = this.peek();
    if (this.isPunct('=')) {
      if (fragments.length > 1) this.error(start, `attribute name ${name} may only be a single identifier with no "."`);
      if (labelToken) this.error(labelToken, `attribute ${name} may not have a label`);
      this.next();
      return { type: 'attribute', name, value: this.parseExpression(), line: start.line, column: start.column };
    }
    if (this.isPunct('{')) {
      const open = this.next();
      const shown = label === undefined ? name : `${name} "${label}"`;
      const body = this.parseBody('}', { name: shown, token: open });
      this.expectPunct('}', `to close block ${shown}`);
      return label === undefined
        ? { type: 'block', name, body, line: start.line, column: start.column }
        : { type: 'block', name, label, body, line: start.line, column: start.column };
    }
    if (labelToken) this.error(token, `expected "{" to open block ${name} "${label}", found ${describe(token)}`);
    return this.error(token, `expected "=" (attribute) or "{" (block) after ${name}, found ${describe(token)}`);
  }

  private parseExpression(): ValueNode {
    let left = this.parseOperand();
    while (this.isPunct('+')) {
      this.next();
      left = { type: 'binary', op: '+', left, right: this.parseOperand() };
    }
    return left;
  }

  private parseOperand(): ValueNode {
    const token = this.next();
    switch (token.type) {
      case 'string':
        return { type: 'string', value: token.text };
      case 'number':
        return { type: 'number', value: Number(token.text) };
      case 'ident': {
        if (token.text === 'true' || token.text === 'false') return { type: 'bool', value: token.text === 'true' };
        if (token.text === 'null') return { type: 'null' };
        const fragments = [token.text];
        while (this.isPunct('.')) {
          this.next();
          const part = this.next();
          if (part.type !== 'ident') this.error(part, `expected an identifier after ".", found ${describe(part)}`);
          fragments.push(part.text);
        }
        const path = fragments.join('.');
        if (!this.isPunct('(')) return { type: 'ref', path };
        this.next();
        return { type: 'call', fn: path, args: this.parseList(')', 'argument list') };
      }
      case 'punct':
        if (token.text === '[') return { type: 'list', items: this.parseList(']', 'list') };
        if (token.text === '{') return this.parseObject();
        if (token.text === '(') {
          const inner = this.parseExpression();
          this.expectPunct(')', 'to close "("');
          return inner;
        }
        break;
      default:
        break;
    }
    return this.error(token, `expected a value, found ${describe(token)}`);
  }

  /** Comma-separated values up to `close` (consumed); a trailing comma is allowed. */
  private parseList(close: ']' | ')', what: string): ValueNode[] {
    const items: ValueNode[] = [];
    for (;;) {
      if (this.isPunct(close)) {
        this.next();
        return items;
      }
      items.push(this.parseExpression());
      const token = this.peek();
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (this.isPunct(close)) continue;
      this.error(token, `expected "," or "${close}" in ${what}, found ${describe(token)}`);
    }
  }

  private parseObject(): ValueNode {
    const fields: { key: string; value: ValueNode }[] = [];
    const seen = new Map<string, Token>();
    for (;;) {
      if (this.isPunct('}')) {
        this.next();
        return { type: 'object', fields };
      }
      const keyToken = this.next();
      if (keyToken.type !== 'ident' && keyToken.type !== 'string') {
        this.error(keyToken, `expected a field name (identifier or string), found ${describe(keyToken)}`);
      }
      const first = seen.get(keyToken.text);
      if (first) this.error(keyToken, `object key ${JSON.stringify(keyToken.text)} already set at line ${first.line}, column ${first.column}`);
      seen.set(keyToken.text, keyToken);
      this.expectPunct('=', `after field ${JSON.stringify(keyToken.text)}`);
      fields.push({ key: keyToken.text, value: this.parseExpression() });
      const token = this.peek();
      if (this.isPunct(',')) {
        this.next();
        continue;
      }
      if (this.isPunct('}')) continue;
      this.error(token, `expected "," or "}" in object, found ${describe(token)}`);
    }
  }
}

/** Parses Alloy configuration text into its statements; throws {@link AlloySyntaxError}. */
export function parseAlloy(text: string): StatementNode[] {
  return new Parser(tokenize(text)).parseFile();
}

// ---- Helpers for tests ----

/** The blocks of a body with this name (and label, when given). */
export function blocksNamed(body: readonly StatementNode[], name: string, label?: string): BlockNode[] {
  return body.filter((s): s is BlockNode => s.type === 'block' && s.name === name && (label === undefined || s.label === label));
}

/** The one block of a body with this name (and label); throws when there is not exactly one. */
export function blockNamed(body: readonly StatementNode[], name: string, label?: string): BlockNode {
  const found = blocksNamed(body, name, label);
  if (found.length !== 1) throw new Error(`expected one block ${name}${label === undefined ? '' : ` "${label}"`}, found ${found.length}`);
  return found[0]!;
}

/** The value of an attribute of a block; throws when it is missing. */
export function attribute(block: BlockNode, name: string): ValueNode {
  const found = block.body.find((s): s is AttributeNode => s.type === 'attribute' && s.name === name);
  if (!found) throw new Error(`block ${block.name} has no attribute ${name}`);
  return found.value;
}

/** Every reference in a value or a body, depth first. */
export function referencesIn(node: ValueNode | readonly StatementNode[]): string[] {
  if (Array.isArray(node)) {
    return (node as readonly StatementNode[]).flatMap((s) => (s.type === 'attribute' ? referencesIn(s.value) : referencesIn(s.body)));
  }
  const value = node as ValueNode;
  switch (value.type) {
    case 'ref': return [value.path];
    case 'list': return value.items.flatMap(referencesIn);
    case 'object': return value.fields.flatMap((f) => referencesIn(f.value));
    case 'call': return value.args.flatMap(referencesIn);
    case 'binary': return [...referencesIn(value.left), ...referencesIn(value.right)];
    default: return [];
  }
}

/** A plain JavaScript value of a literal (strings, numbers, booleans, null, lists, objects). */
export function literal(value: ValueNode): unknown {
  switch (value.type) {
    case 'string':
    case 'number':
    case 'bool':
      return value.value;
    case 'null': return null;
    case 'list': return value.items.map(literal);
    case 'object': return Object.fromEntries(value.fields.map((f) => [f.key, literal(f.value)]));
    default: throw new Error(`not a literal: ${value.type}`);
  }
}
