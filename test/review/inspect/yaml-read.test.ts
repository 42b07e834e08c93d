/**
 * Reading rendered manifests with js-yaml instead of the `yaml` package: every reader (readiness,
 * the diff from disk and from git) must see exactly the objects and the error messages the `yaml`
 * package gives. The reference here is the `yaml` package itself, as the readers used it before.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadAll } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { yamlText } from '../../../lib/kit/yaml';
import { kustomizationObject } from '../../../lib/review/diff/tree';
import { parseManifest, parseManifestWithYaml, readDistEnvironment } from '../../../lib/review/inspect/dist';
import { YAML_CORE_SCHEMA, loadRendered } from '../../../lib/review/inspect/yaml-read';

const ROOT = path.resolve(__dirname, '../../..');
const DIST = path.join(ROOT, 'dist');

/** What the `yaml` package makes of a text, as the readers called it: documents (empty ones left out), or its first error, or what toJS threw. */
function yamlPackage(text: string): { documents: unknown[] } | { error: string } {
  const docs = parseAllDocuments(text);
  const bad = docs.find((d) => d.errors.length > 0);
  if (bad) return { error: bad.errors[0]!.message.split('\n')[0]! };
  try {
    return { documents: docs.map((d) => d.toJS({ maxAliasCount: -1 }) as unknown).filter((v) => v !== null && v !== undefined) };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

/** What js-yaml with the schema alone makes of a text (no fallback), in the same shape; null when js-yaml rejects it. */
function jsYaml(text: string): { documents: unknown[] } | null {
  try {
    return { documents: loadAll(text, undefined, { schema: YAML_CORE_SCHEMA }).filter((v) => v !== null && v !== undefined) };
  } catch {
    return null;
  }
}

/** A call's result or the message it threw. */
function outcome(f: () => unknown): unknown {
  try {
    return { value: f() };
  } catch (e) {
    return { thrown: (e as Error).message };
  }
}

function distFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? distFiles(path.join(dir, e.name)) : e.name.endsWith('.yaml') ? [path.join(dir, e.name)] : []));
}

describe('the committed dist/ read with js-yaml', () => {
  const files = distFiles(DIST);

  it('covers both environments, their manual/ folders and argocd/', () => {
    const relative = files.map((f) => path.relative(DIST, f).split(path.sep).join('/'));
    for (const prefix of ['staging/', 'production/', 'staging/manual/', 'production/manual/', 'argocd/']) expect(relative.some((f) => f.startsWith(prefix)), prefix).toBe(true);
    expect(relative).toContain('staging/kustomization.yaml');
  });

  it('reads every file on the fast path, to objects deep-equal to what the yaml package reads', () => {
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      const reference = yamlPackage(text);
      expect(reference, file).toHaveProperty('documents');
      const fast = loadRendered(text);
      expect(fast, `${file} is not read on the fast path`).toBeDefined();
      expect(fast!.filter((v) => v !== null), file).toStrictEqual((reference as { documents: unknown[] }).documents);
      if (file.endsWith('.k8s.yaml') || file.includes(`${path.sep}argocd${path.sep}`)) expect(parseManifest(file, text), file).toStrictEqual(parseManifestWithYaml(file, text));
    }
  });

  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'yaml-read-'));
  afterAll(() => fs.rmSync(temp, { recursive: true, force: true }));

  it('gives readiness the same environment as the yaml package does (a copy with a comment added to every file is read with it)', () => {
    for (const env of ['staging', 'production']) {
      const copy = path.join(temp, env);
      fs.cpSync(path.join(DIST, env), copy, { recursive: true });
      // A comment makes a text differ from what the generator writes: the yaml package reads it.
      for (const file of distFiles(copy)) fs.appendFileSync(file, '# read with the yaml package\n');
      expect(loadRendered(fs.readFileSync(path.join(copy, 'kustomization.yaml'), 'utf8'))).toBeUndefined();
      expect(readDistEnvironment(path.join(DIST, env))).toStrictEqual(readDistEnvironment(copy));
    }
  });

  it('gives the diff the same kustomization object as the yaml package does', () => {
    for (const env of ['staging', 'production']) {
      const text = fs.readFileSync(path.join(DIST, env, 'kustomization.yaml'), 'utf8');
      expect(loadRendered(text)).toBeDefined();
      expect(kustomizationObject(text, env)).toStrictEqual(kustomizationObject(`${text}# read with the yaml package\n`, env));
    }
  });
});

/** A ConfigMap whose data value `v` is the given YAML (after `v:`). */
const configMap = (value: string): string => `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  v: ${value}\n`;

// Plain scalars and constructs where js-yaml's schemas and the yaml package's YAML 1.2 core schema
// part ways; `schema` marks the rows js-yaml with the schema must read as the yaml package does.
const TABLE: ReadonlyArray<{ name: string; text: string; schema?: true }> = [
  ...['1_000', '0o17', '017', '0x1F', '0x1f', '+12', '-0', '.5', '1.', '1.50', '1e3', '-1.5E-3', '.inf', '-.Inf', '+.INF', '.nan', '.NaN', '~', 'null', 'Null', 'NULL', 'nULL', 'true', 'True', 'TRUE', 'tRUE', 'false', 'yes', 'no', 'on', 'off', 'y', '2026-11-22', '2026-11-22T10:00:00Z', '12:30:00', '0b101', '1,000', '123456789012345678901234567890', ''].map(
    (s) => ({ name: `the plain scalar ${JSON.stringify(s)}`, text: configMap(s), schema: true as const }),
  ),
  { name: 'quoted numbers', text: configMap(`'12'`), schema: true },
  { name: 'an explicit !!int on a hexadecimal number', text: configMap('!!int 0x1F'), schema: true },
  { name: 'an explicit !!float on an integer (the yaml package: the string, with a warning)', text: configMap('!!float 1') },
  { name: 'an explicit !!int on a word', text: configMap('!!int ten') },
  { name: 'an empty node tagged !!map', text: configMap('!!map') },
  { name: 'a !!binary tag', text: configMap('!!binary aGVsbG8=') },
  { name: 'a !!timestamp tag', text: configMap('!!timestamp 2026-11-22') },
  { name: 'an unknown tag', text: configMap('!thing x') },
  { name: 'a << merge key (a plain key in YAML 1.2)', text: `${configMap('1')}base: &b {a: 1}\nspec:\n  <<: *b\n  c: 2\n`, schema: true },
  { name: 'a duplicate key', text: `${configMap('1')}data:\n  v: 2\n` },
  { name: 'keys equal once turned into strings', text: `${configMap('1')}other:\n  1: a\n  '1': b\n` },
  { name: 'a null key', text: `${configMap('1')}other:\n  ~: a\n` },
  { name: 'a flow sequence as a key', text: `${configMap('1')}other:\n  [a, b]: c\n` },
  { name: 'anchors and aliases', text: `${configMap('&v one')}spec:\n  a: *v\n  list: &l [1, 2]\n  again: *l\n`, schema: true },
  { name: 'an alias to an anchor not yet set', text: `${configMap('*v')}spec:\n  a: &v one\n` },
  { name: 'a %YAML 1.1 directive (booleans such as yes)', text: `%YAML 1.1\n---\n${configMap('yes')}` },
  { name: 'empty documents and --- separators', text: `---\n---\n${configMap('1')}---\n\n---\n${configMap('2')}`, schema: true },
  { name: 'a document of only comments', text: `# nothing here\n---\n${configMap('1')}`, schema: true },
  { name: 'a document end marker', text: `${configMap('1')}...\n---\n${configMap('2')}`, schema: true },
  { name: 'an empty text', text: '', schema: true },
  { name: 'a multi-line single-quoted string indented too little (js-yaml accepts it)', text: `${configMap("'one")}two'\n` },
  { name: 'a comment not separated from a quoted string (js-yaml accepts it)', text: configMap(`'one'#c`) },
  { name: 'an unclosed flow sequence', text: configMap('[a, b') },
  { name: 'a tab used as indentation', text: `${configMap('1')}spec:\n\ta: 1\n` },
];

describe('scalars and constructs where the schemas could part ways', () => {
  // The yaml package warns on the process ("Keys with collection values will be stringified") for
  // the rows that feed it a collection as a key, on purpose: the warning is its, not a finding, and
  // is kept off the run's output here; every other warning still reaches it.
  const warnings: string[] = [];
  beforeAll(() => {
    const emit = process.emitWarning.bind(process);
    vi.spyOn(process, 'emitWarning').mockImplementation(((warning: string | Error, ...rest: unknown[]) => {
      const text = typeof warning === 'string' ? warning : warning.message;
      if (text.startsWith('Keys with collection values will be stringified')) warnings.push(text);
      else (emit as (...args: unknown[]) => void)(warning, ...rest);
    }) as typeof process.emitWarning);
  });
  afterAll(() => {
    vi.mocked(process.emitWarning).mockRestore();
    // The rows with a collection as a key reached the yaml package (they are read by it, not js-yaml).
    expect(warnings.length).toBeGreaterThan(0);
  });

  it.each(TABLE)('reads $name as the yaml package does', ({ text, schema }) => {
    const reference = yamlPackage(text);
    // The schema alone reads the scalar rows as the yaml package does (other rows js-yaml rejects,
    // or reads otherwise: the reader leaves those to the yaml package).
    if (schema) expect(jsYaml(text)).toStrictEqual(reference);
    // The reader: the same objects, or the same message, whichever parser reads it.
    expect(outcome(() => parseManifest('f.yaml', text))).toStrictEqual(outcome(() => parseManifestWithYaml('f.yaml', text)));
    // The fast path, where it takes the text, reads what the yaml package reads.
    const fast = loadRendered(text);
    if (fast !== undefined) expect({ documents: fast.filter((v) => v !== null) }).toStrictEqual(reference);
  });

  it('reads each scalar as the generator writes it on the fast path, to the value the yaml package reads', () => {
    for (const { text } of TABLE.filter((r) => r.schema)) {
      const reference = yamlPackage(text);
      if (!('documents' in reference)) continue;
      const rendered = reference.documents.map(yamlText).join('---\n');
      expect(loadRendered(rendered), rendered).toStrictEqual(reference.documents);
    }
  });
});

describe('the messages of a file that is not Kubernetes YAML', () => {
  it('rejects invalid YAML with the message the yaml package words', () => {
    expect(() => parseManifest('dist/staging/x.k8s.yaml', configMap('[a, b'))).toThrow(
      'dist/staging/x.k8s.yaml: document 1 is not valid YAML: Flow sequence in block collection must be sufficiently indented and end with a ] at line 7, column 1:',
    );
  });

  it('rejects YAML that js-yaml reads but the yaml package does not, with the yaml package\'s message', () => {
    expect(jsYaml(`${configMap("'one")}two'\n`)).not.toBeNull();
    expect(() => parseManifest('x.k8s.yaml', `${configMap("'one")}two'\n`)).toThrow("x.k8s.yaml: document 1 is not valid YAML: Missing closing 'quote at line 6, column 10:");
  });

  it('rejects a duplicate key as before', () => {
    expect(() => parseManifest('x.k8s.yaml', `${configMap('1')}data:\n  v: 2\n`)).toThrow('x.k8s.yaml: document 1 is not valid YAML: Map keys must be unique at line 7, column 1:');
  });

  it('rejects a document that is not a Kubernetes object, numbering documents as before', () => {
    // Written as the generator writes: js-yaml reads it, and the yaml package words the message.
    const text = [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x' } }, { a: 1 }].map(yamlText).join('---\n');
    expect(loadRendered(text)).toBeDefined();
    expect(() => parseManifest('x.k8s.yaml', text)).toThrow('x.k8s.yaml: document 2 is not a Kubernetes object (expected apiVersion, kind and metadata.name)');
    expect(() => parseManifest('x.k8s.yaml', `null\n---\n${text}`)).toThrow('x.k8s.yaml: document 3 is not a Kubernetes object (expected apiVersion, kind and metadata.name)');
  });
});
