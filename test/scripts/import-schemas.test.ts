/**
 * scripts/import-schemas.ts and the file it generates, imports/schemas.generated.json: the
 * schemas the schema tests read (test/support/kube-schema.ts). The generator is run on small
 * upstream-shaped files written by the test; the committed file is held to its header, to every
 * kind the project renders, and, when the upstream files are at hand, to a fresh generation.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { bodyDigest, DEFAULT_FROM, generateSchemas, ImportError, importSchemasCli, SCHEMAS_FILE, serialize, type GeneratedSchemas } from '../../scripts/import-schemas';
import { runAsync, tempDir, removedAfterAll } from '../support/cli';
import { KUBERNETES_VERSION, SCHEMAS_FILE as READ_BY_TESTS } from '../support/kube-schema';
import { committedText, edit, renderCommitted, renderTexts, ROOT } from '../support/render';

const temps = removedAfterAll();

/** A folder of upstream-shaped files: a definitions file and crds/ with the given files. */
function upstreamFolder(definitions: Record<string, unknown>, crds: Record<string, unknown[]>, kubernetesFile = 'kubernetes-v1.28.0-definitions.json'): string {
  const dir = tempDir('upstream');
  temps.push(dir);
  fs.writeFileSync(path.join(dir, kubernetesFile), JSON.stringify({ definitions }, null, 2));
  fs.mkdirSync(path.join(dir, 'crds'));
  for (const [file, docs] of Object.entries(crds)) fs.writeFileSync(path.join(dir, 'crds', file), docs.map((d) => jsYaml.dump(d)).join('---\n'));
  return dir;
}

const DEFINITIONS = {
  'io.k8s.api.demo.v1.Thing': {
    description: 'A thing.',
    type: 'object',
    required: ['spec'],
    properties: {
      // A field called description is a field, kept.
      description: { description: 'What it is.', type: 'string' },
      spec: { $ref: '#/definitions/io.k8s.api.demo.v1.ThingSpec', description: 'Its spec.' },
      metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
    },
    'x-kubernetes-group-version-kind': [
      { group: 'demo.k8s.io', version: 'v1', kind: 'Thing' },
      { group: 'demo.k8s.io', version: 'v2alpha1', kind: 'Thing' },
    ],
  },
  'io.k8s.api.demo.v1.ThingSpec': {
    type: 'object',
    properties: {
      ports: { type: 'array', items: { type: 'integer', format: 'int32' }, 'x-kubernetes-list-type': 'set' },
      mode: { type: 'string', enum: ['A', 'B'], default: 'A' },
    },
  },
  'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta': { type: 'object', properties: { name: { type: 'string' } } },
  'io.k8s.api.demo.v2alpha1.Gadget': {
    type: 'object',
    properties: { part: { $ref: '#/definitions/io.k8s.api.demo.v2alpha1.GadgetPart' } },
    'x-kubernetes-group-version-kind': [{ group: 'demo.k8s.io', version: 'v2alpha1', kind: 'Gadget' }],
  },
  'io.k8s.api.demo.v2alpha1.GadgetPart': { type: 'object' },
  'io.k8s.api.demo.v1.Unused': { type: 'object' },
};

const WIDGET_SCHEMA = {
  description: 'A widget.',
  type: 'object',
  properties: {
    spec: {
      type: 'object',
      required: ['size'],
      properties: { size: { type: 'integer', minimum: 1, default: 1 }, colour: { type: 'string', enum: ['red', 'blue'] } },
      'x-kubernetes-validations': [{ rule: 'self.size < 10', message: 'too big' }],
    },
  },
};

function widgetCrd(kind: string, versions: Array<{ name: string; served: boolean }>, schema: object = WIDGET_SCHEMA): object {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${kind.toLowerCase()}s.demo.example.com` },
    spec: { group: 'demo.example.com', names: { kind }, versions: versions.map((v) => ({ ...v, storage: v.name === 'v1', schema: { openAPIV3Schema: schema } })) },
  };
}

const CRDS = {
  'widgets-v1.2.3-widgets.yaml': [widgetCrd('Widget', [{ name: 'v1', served: true }, { name: 'v1beta1', served: true }, { name: 'v1alpha1', served: false }])],
  'widgets-v1.2.3-clusterwidgets.yaml': [widgetCrd('ClusterWidget', [{ name: 'v1', served: true }])],
  'gizmos-v0.4.0-gizmos.yaml': [widgetCrd('Gizmo', [{ name: 'v1', served: true }], { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } })],
};

describe('npm run import-schemas (scripts/import-schemas.ts)', () => {
  const generated = (): GeneratedSchemas => JSON.parse(generateSchemas(upstreamFolder(DEFINITIONS, CRDS))) as GeneratedSchemas;

  it('keeps the non-alpha kinds of the definitions and the definitions they reach, and nothing else', () => {
    const { kubernetes } = generated();
    expect(kubernetes.kinds).toEqual({ 'demo.k8s.io/v1 Thing': 'io.k8s.api.demo.v1.Thing' });
    expect(Object.keys(kubernetes.definitions)).toEqual(['io.k8s.api.demo.v1.Thing', 'io.k8s.api.demo.v1.ThingSpec', 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']);
  });

  it('keeps the keywords the validator reads, fields whatever their name, and drops descriptions, defaults, CEL rules and list hints', () => {
    const { kubernetes, crds } = generated();
    expect(kubernetes.definitions['io.k8s.api.demo.v1.Thing']).toEqual({
      type: 'object',
      required: ['spec'],
      properties: {
        description: { type: 'string' },
        spec: { $ref: '#/definitions/io.k8s.api.demo.v1.ThingSpec' },
        metadata: { $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' },
      },
    });
    expect(kubernetes.definitions['io.k8s.api.demo.v1.ThingSpec']).toEqual({
      type: 'object',
      properties: { ports: { type: 'array', items: { type: 'integer', format: 'int32' } }, mode: { type: 'string', enum: ['A', 'B'] } },
    });
    expect(crds['demo.example.com/v1 ClusterWidget']).toEqual({
      upstream: 'widgets v1.2.3',
      schema: { type: 'object', properties: { spec: { type: 'object', required: ['size'], properties: { size: { type: 'integer', minimum: 1 }, colour: { type: 'string', enum: ['red', 'blue'] } } } } },
    });
    expect(crds['demo.example.com/v1 Gizmo']).toEqual({ upstream: 'gizmos v0.4.0', schema: { type: 'object', properties: { spec: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } });
  });

  it('keeps each version a CRD serves, and one copy of identical schemas', () => {
    const { crds } = generated();
    expect(Object.keys(crds)).toEqual(['demo.example.com/v1 ClusterWidget', 'demo.example.com/v1 Gizmo', 'demo.example.com/v1 Widget', 'demo.example.com/v1beta1 Widget']);
    expect(crds['demo.example.com/v1 Widget']).toEqual({ upstream: 'widgets v1.2.3', sameSchemaAs: 'demo.example.com/v1 ClusterWidget' });
    expect(crds['demo.example.com/v1beta1 Widget']).toEqual({ upstream: 'widgets v1.2.3', sameSchemaAs: 'demo.example.com/v1 ClusterWidget' });
  });

  it('writes a header with the upstream versions, each source file with its SHA-256, the command, and the digest of the rest', () => {
    const dir = upstreamFolder(DEFINITIONS, CRDS);
    const file = JSON.parse(generateSchemas(dir)) as GeneratedSchemas;
    expect(file._generated.upstream).toEqual({ Kubernetes: 'v1.28.0', gizmos: 'v0.4.0', widgets: 'v1.2.3' });
    const sha = (f: string): string => `sha256:${createHash('sha256').update(fs.readFileSync(path.join(dir, f))).digest('hex')}`;
    expect(file._generated.sources).toEqual({
      'crds/gizmos-v0.4.0-gizmos.yaml': sha('crds/gizmos-v0.4.0-gizmos.yaml'),
      'crds/widgets-v1.2.3-clusterwidgets.yaml': sha('crds/widgets-v1.2.3-clusterwidgets.yaml'),
      'crds/widgets-v1.2.3-widgets.yaml': sha('crds/widgets-v1.2.3-widgets.yaml'),
      'kubernetes-v1.28.0-definitions.json': sha('kubernetes-v1.28.0-definitions.json'),
    });
    expect(file._generated.command).toMatch(/^npm run import-schemas -- --from DIR/);
    expect(file._generated.note).toMatch(/^Generated by scripts\/import-schemas\.ts .*never edit by hand/);
    expect(file._generated.digest).toBe(bodyDigest(file));
  });

  it('writes the same text whatever the order of keys in the upstream files (but for their SHA-256), with keys sorted', () => {
    const reversed = (v: unknown): unknown =>
      Array.isArray(v) ? v.map(reversed) : v !== null && typeof v === 'object' ? Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)])) : v;
    const text = generateSchemas(upstreamFolder(DEFINITIONS, CRDS));
    const again = generateSchemas(upstreamFolder(reversed(DEFINITIONS) as Record<string, unknown>, reversed(CRDS) as Record<string, unknown[]>));
    const withoutSources = (t: string): string => t.replace(/"sources": \{[^}]*\}/, '');
    expect(again).not.toBe(text);
    expect(withoutSources(again)).toBe(withoutSources(text));
    expect(serialize(JSON.parse(text))).toBe(text);
    const keys = Object.keys((JSON.parse(text) as GeneratedSchemas).kubernetes.definitions['io.k8s.api.demo.v1.Thing']!.properties as object);
    expect(keys).toEqual(['description', 'metadata', 'spec']);
  });

  it('rejects a schema keyword it does not know, naming the file and the path, rather than dropping it unseen', () => {
    const crds = { 'gizmos-v0.4.0-gizmos.yaml': [widgetCrd('Gizmo', [{ name: 'v1', served: true }], { type: 'object', properties: { spec: { type: 'object', dependentRequired: { a: ['b'] } } } })] };
    expect(() => generateSchemas(upstreamFolder(DEFINITIONS, crds))).toThrow(ImportError);
    expect(() => generateSchemas(upstreamFolder(DEFINITIONS, crds))).toThrow(
      'crds/gizmos-v0.4.0-gizmos.yaml: demo.example.com/v1 Gizmo.properties.spec: unknown schema keyword "dependentRequired", expected one the validator reads (KEPT in scripts/import-schemas.ts) or one it does not (DROPPED)',
    );
  });

  it('rejects a CRD file whose name does not say its upstream version, a definition a kind reaches that is missing, and a missing definitions file', () => {
    expect(() => generateSchemas(upstreamFolder(DEFINITIONS, { 'gizmos.yaml': CRDS['gizmos-v0.4.0-gizmos.yaml'] }))).toThrow(
      'crds/gizmos.yaml: the name does not say the upstream project and version, expected <project>-v<x.y.z>-<anything>.yaml',
    );
    const { 'io.k8s.api.demo.v1.ThingSpec': _spec, ...withoutSpec } = DEFINITIONS;
    expect(() => generateSchemas(upstreamFolder(withoutSpec, CRDS))).toThrow('kubernetes-v1.28.0-definitions.json: definitions.io.k8s.api.demo.v1.ThingSpec: missing, expected it (a kind reaches it by $ref)');
    expect(() => generateSchemas(upstreamFolder(DEFINITIONS, CRDS, 'definitions.json'))).toThrow(/: found 0 files kubernetes-v<version>-definitions\.json, expected one$/);
  });
});

/** `node --import tsx scripts/import-schemas.ts ...`: the real process, as `npm run import-schemas` starts it. */
function run(args: readonly string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return runAsync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts', 'import-schemas.ts'), ...args]);
}

/** The same command in this process (importSchemasCli, which the real process runs). */
function runHere(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  let stdout = '';
  let stderr = '';
  const status = importSchemasCli(args, { cwd: ROOT, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
  return { status, stdout, stderr };
}

describe('the import-schemas command', () => {
  it('writes the file from --from to --out, and says so; the same bytes again are unchanged', () => {
    const from = upstreamFolder(DEFINITIONS, CRDS);
    const out = path.join(tempDir('schemas'), 'schemas.json');
    temps.push(path.dirname(out));
    const written = runHere(['--from', from, '--out', out]);
    expect(written.status, written.stderr).toBe(0);
    expect(written.stdout).toBe(`${path.relative(ROOT, out)}: written (${fs.statSync(out).size} bytes, from ${path.relative(ROOT, from)})\n`);
    expect(fs.readFileSync(out, 'utf8')).toBe(generateSchemas(from));
    expect(runHere(['--from', from, '--out', out]).stdout).toMatch(/: unchanged \(/);
  });

  it('prints its options for --help; rejects an unknown option (2) in one line and the usage', () => {
    const help = runHere(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^Usage: npm run import-schemas -- \[options\]/);
    expect(help.stdout).toContain(`--from DIR  the folder holding crds/ and kubernetes-v<version>-definitions.json (default: ${DEFAULT_FROM})`);
    const unknown = runHere(['--no-such-option']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/^import-schemas: unknown option --no-such-option\n\nUsage:/);
  });

  it('rejects a folder without the upstream files in one line and exit code 1, in a real process, writing nothing', async () => {
    const from = upstreamFolder(DEFINITIONS, CRDS);
    const out = path.join(tempDir('schemas'), 'schemas.json');
    temps.push(path.dirname(out));
    const missing = await run(['--from', path.join(from, 'crds'), '--out', out]);
    expect(missing.status).toBe(1);
    expect(missing.stdout).toBe('');
    expect(missing.stderr).toMatch(/^import-schemas: [^\n]*found 0 files kubernetes-v<version>-definitions\.json, expected one\n$/);
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe(`the committed ${SCHEMAS_FILE}`, () => {
  const text = fs.readFileSync(path.join(ROOT, SCHEMAS_FILE), 'utf8');
  const file = JSON.parse(text) as GeneratedSchemas;
  const upstreamDir = path.resolve(ROOT, DEFAULT_FROM);
  const upstreamAtHand = fs.existsSync(path.join(upstreamDir, 'crds'));

  it('is the file the schema tests read', () => {
    expect(READ_BY_TESTS).toBe(SCHEMAS_FILE);
  });

  it(`records in its header the upstream versions imported (Kubernetes ${KUBERNETES_VERSION}, the clusters' version) and the command that regenerates it`, () => {
    expect(file._generated.upstream).toEqual({
      Kubernetes: 'v1.28.0',
      'argo-cd': 'v3.5.1',
      'cert-manager': 'v1.20.3',
      'external-secrets': 'v1.3.2',
      'gateway-api': 'v1.6.1',
      'sealed-secrets': 'v0.36.6',
    });
    expect(file._generated.upstream.Kubernetes!.startsWith(`v${KUBERNETES_VERSION}.`)).toBe(true);
    expect(file._generated.command).toMatch(/^npm run import-schemas -- --from DIR/);
    const scripts = (JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['import-schemas']).toBe('node --import tsx scripts/import-schemas.ts');
  });

  it('has a schema for every apiVersion and kind the project renders (an ExternalSecret store included)', () => {
    const external = edit(committedText('production'), (doc) =>
      doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' }, refreshInterval: '1h', keyPrefix: 'gravl/production' } })),
    );
    const rendered = [...renderCommitted(), ...renderTexts({ production: external })].flatMap((e) => [...e.objects, ...e.manualObjects]);
    const kinds = [...new Set(rendered.map((o) => `${o.apiVersion} ${o.kind}`))].sort();
    expect(kinds).toContain('external-secrets.io/v1 ExternalSecret');
    expect(kinds).toContain('apps/v1 Deployment');
    expect(kinds.filter((k) => file.kubernetes.kinds[k] === undefined && file.crds[k] === undefined)).toEqual([]);
    for (const name of Object.values(file.kubernetes.kinds)) expect(file.kubernetes.definitions[name], name).toBeDefined();
  });

  it(
    upstreamAtHand
      ? 'is current: byte for byte what the generator makes of the upstream files (at the default --from), with its digest matching its content'
      : "has not been edited since it was generated: its digest matches its content and it is in the generator's form (the upstream files are not at the default --from to regenerate it)",
    () => {
      expect(file._generated.digest, `${SCHEMAS_FILE} was edited by hand: regenerate it with npm run import-schemas`).toBe(bodyDigest(file));
      expect(serialize(file) === text, `${SCHEMAS_FILE} is not in the generator's form: regenerate it with npm run import-schemas`).toBe(true);
      if (upstreamAtHand) expect(generateSchemas(upstreamDir) === text, `${SCHEMAS_FILE} is stale: run npm run import-schemas and commit it`).toBe(true);
    },
  );
});
