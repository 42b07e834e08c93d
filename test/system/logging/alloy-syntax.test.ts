// The Alloy parser in test/support is what the Alloy config tests stand on (no `alloy` binary can
// be installed here, so `alloy fmt` cannot check the text): these tests prove it reads the subset
// of the syntax the config uses and rejects malformed text with a line and column.
import { describe, expect, it } from 'vitest';
import { AlloySyntaxError, attribute, literal, parseAlloy, type BlockNode } from '../../support/alloy-syntax';

/** The error parseAlloy throws on text, which must be an AlloySyntaxError. */
function syntaxError(text: string): AlloySyntaxError {
  try {
    parseAlloy(text);
  } catch (error) {
    expect(error).toBeInstanceOf(AlloySyntaxError);
    return error as AlloySyntaxError;
  }
  throw new Error('parseAlloy accepted malformed text');
}

describe('the Alloy syntax parser', () => {
  it('reads blocks, labels, attributes and every kind of value into a tree', () => {
    const tree = parseAlloy([
      '// a comment',
      'loki.write "default" {',
      '\texternal_labels = {',
      '\t\tcluster = "staging",',
      '\t\t"app.kubernetes.io/name" = "gravl", /* inline */',
      '\t}',
      '',
      '\tendpoint {',
      '\t\turl     = "http://loki:3100/loki/api/v1/push"',
      '\t\tretries = 3',
      '\t\tratio   = 0.5',
      '\t\tenabled = true',
      '\t\tnothing = null',
      '\t}',
      '}',
      'loki.source.file "pods" {',
      '\tforward_to = [loki.write.default.receiver, loki.write.other.receiver,]',
      '\tfield      = "spec.nodeName=" + sys.env("NODE_NAME")',
      '\tempty      = []',
      '\tstage.cri { }',
      '}',
    ].join('\n'));

    expect(tree.map((s) => [s.type, s.name, (s as BlockNode).label, s.line, s.column])).toEqual([
      ['block', 'loki.write', 'default', 2, 1],
      ['block', 'loki.source.file', 'pods', 16, 1],
    ]);
    const write = tree[0] as BlockNode;
    expect(write.body[0]).toMatchObject({ type: 'attribute', name: 'external_labels', line: 3, column: 2 });
    expect(literal(attribute(write, 'external_labels'))).toEqual({ cluster: 'staging', 'app.kubernetes.io/name': 'gravl' });
    const endpoint = write.body[1] as BlockNode;
    expect(endpoint).toMatchObject({ type: 'block', name: 'endpoint', line: 8, column: 2 });
    expect(endpoint.label).toBeUndefined();
    expect(endpoint.body.map((s) => (s.type === 'attribute' ? [s.name, literal(s.value)] : s.name))).toEqual([
      ['url', 'http://loki:3100/loki/api/v1/push'],
      ['retries', 3],
      ['ratio', 0.5],
      ['enabled', true],
      ['nothing', null],
    ]);
    const source = tree[1] as BlockNode;
    expect(source.body[0]).toMatchObject({
      value: { type: 'list', items: [{ type: 'ref', path: 'loki.write.default.receiver' }, { type: 'ref', path: 'loki.write.other.receiver' }] },
    });
    expect(source.body[1]).toMatchObject({
      value: { type: 'binary', op: '+', left: { type: 'string', value: 'spec.nodeName=' }, right: { type: 'call', fn: 'sys.env', args: [{ type: 'string', value: 'NODE_NAME' }] } },
    });
    expect(source.body[2]).toMatchObject({ value: { type: 'list', items: [] } });
    expect(source.body[3]).toMatchObject({ type: 'block', name: 'stage.cri', body: [] });
  });

  it('decodes Go escape sequences and raw strings', () => {
    const [statement] = parseAlloy([
      'a {',
      '\ts = "q\\"b\\\\n\\n\\t\\u00e9\\x41\\101\\U0001F600\\a\\v"',
      '\tr = `C:\\raw "as is"`',
      '}',
    ].join('\n'));
    const body = (statement as BlockNode).body.map((s) => (s.type === 'attribute' ? literal(s.value) : undefined));
    expect(body).toEqual(['q"b\\n\n\té' + 'AA' + '\u{1F600}\u0007\u000b', 'C:\\raw "as is"']);
  });

  it('rejects a block whose closing brace is missing, naming where it was opened', () => {
    const error = syntaxError('discovery.kubernetes "pods" {\n\trole = "pod"\n');
    expect(error.message).toMatch(/^line 3, column 1: expected "}" to close block discovery.kubernetes "pods" opened at line 1, column 29/);
    expect([error.line, error.column]).toEqual([3, 1]);
  });

  it('rejects a closing brace with no block open', () => {
    const error = syntaxError('a {\n}\n}\n');
    expect([error.line, error.column]).toEqual([3, 1]);
    expect(error.reason).toMatch(/unexpected "}"/);
  });

  it('rejects an unterminated string at the line and column of its opening quote', () => {
    const error = syntaxError('loki.write "default" {\n\tendpoint {\n\t\turl = "http://loki:3100\n\t}\n}\n');
    expect([error.line, error.column]).toEqual([3, 9]);
    expect(error.reason).toBe('string literal not terminated');
    expect([syntaxError('a "b').line, syntaxError('a "b').column]).toEqual([1, 3]);
  });

  it('rejects an attribute without "=", with or without a string after its name', () => {
    const quoted = syntaxError('discovery.kubernetes "pods" {\n\trole "pod"\n}\n');
    expect([quoted.line, quoted.column]).toEqual([2, 12]);
    expect(quoted.reason).toMatch(/expected "\{" to open block role "pod", found end of line/);
    const bare = syntaxError('logging {\n\tlevel info\n}\n');
    expect([bare.line, bare.column]).toEqual([2, 8]);
    expect(bare.reason).toMatch(/expected "=" \(attribute\) or "\{" \(block\) after level, found identifier info/);
  });

  it('rejects a component defined twice with the same label, and accepts repeated unlabelled blocks', () => {
    const error = syntaxError('loki.write "default" {\n}\n\nloki.write "default" {\n}\n');
    expect([error.line, error.column]).toEqual([4, 1]);
    expect(error.reason).toMatch(/block loki.write "default" already defined at line 1, column 1/);
    expect(parseAlloy('loki.write "a" {\n}\nloki.write "b" {\n}\nx {\n\trule { }\n\trule { }\n}\n')).toHaveLength(3);
  });

  it('rejects an attribute set twice in one block and an object key set twice', () => {
    expect(syntaxError('a {\n\tb = 1\n\tb = 2\n}').reason).toMatch(/attribute b already set at line 2, column 2/);
    expect(syntaxError('a {\n\tb = { c = 1, c = 2 }\n}').reason).toMatch(/object key "c" already set/);
  });

  it('rejects a multi-line list or object whose last item has no comma, as Alloy does', () => {
    const list = syntaxError('a {\n\tb = [\n\t\t"x",\n\t\t"y"\n\t]\n}');
    expect([list.line, list.column]).toEqual([4, 6]);
    expect(list.reason).toMatch(/expected "," or "]" in list, found end of line/);
    expect(syntaxError('a {\n\tb = {\n\t\tc = 1\n\t}\n}').reason).toMatch(/expected "," or "}" in object/);
  });

  it('rejects two statements on one line, a dotted attribute name and a label that is not an identifier', () => {
    expect(syntaxError('a {\n\tb = 1 c = 2\n}').reason).toMatch(/expected end of line after the statement/);
    expect(syntaxError('a {\n\tb.c = 1\n}').reason).toMatch(/single identifier/);
    const label = syntaxError('loki.write "my-loki" {\n}');
    expect([label.line, label.column, label.reason]).toEqual([1, 12, 'block label "my-loki" is not a valid identifier']);
  });

  it('rejects unknown escapes, single quotes and an unterminated block comment', () => {
    expect(syntaxError('a {\n\tb = "\\q"\n}')).toMatchObject({ line: 2, column: 7, reason: 'unknown escape sequence \\q' });
    expect(syntaxError("a {\n\tb = 'x'\n}")).toMatchObject({ line: 2, column: 6 });
    expect(syntaxError('a {\n}\n/* open').reason).toBe('block comment not terminated');
    expect(syntaxError('a {\n\tb = "\\ud800"\n}').reason).toMatch(/invalid Unicode code point/);
  });
});
