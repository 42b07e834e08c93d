/**
 * The schema's `default` values are what editors show and the README documents; the code applies
 * the same constants (lib/model/defaults.ts) when a key is left out. This proves they agree: every
 * `default` of the generated JSON schema is the constant the code reads, every constant is a schema
 * default or a known code-only one, no fallback of lib/ spells a default out again, and for every
 * optional key with a default, an environment file that sets it to the schema's default renders
 * exactly what one that leaves it out renders.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import schema from '../../environments/environment.schema.json';
import * as DEFAULTS from '../../lib/model/defaults';
import { loadEnvironments } from '../../lib/model/load';
import { renderAll } from '../../lib/render/synth';
import { committedText, edit, sourceFor } from '../support/render';

type Schema = { default?: unknown; properties?: Record<string, Schema> };

function defaults(node: Schema, path: string[] = []): Array<{ path: string[]; value: unknown }> {
  const here = node.default !== undefined && path.length > 0 ? [{ path, value: node.default }] : [];
  return [...here, ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => defaults(child, [...path, key]))];
}

function render(name: string, text: string) {
  const { environments, shared } = renderAll([sourceFor(name, text)], { readiness: false });
  const env = environments[0]!;
  return { objects: env.objects, manual: env.manualObjects, shared: shared.map((f) => f.content) };
}

const ALL = defaults(schema as Schema);

/** Where each constant sits in the file: the longest section that holds a key decides. */
const SECTIONS: ReadonlyArray<readonly [string, unknown]> = [
  ['cluster', DEFAULTS.CLUSTER_DEFAULTS],
  ['features', DEFAULTS.FEATURE_DEFAULTS],
  ['edge', DEFAULTS.EDGE_DEFAULTS],
  ['edge.hsts', DEFAULTS.HSTS_DEFAULTS],
  ['tls', DEFAULTS.TLS_DEFAULTS],
  ['gitops', DEFAULTS.GITOPS_DEFAULTS],
  ['database', DEFAULTS.DATABASE_DEFAULTS],
  ['backend', DEFAULTS.BACKEND_DEFAULTS],
  ['backend.autoscaling', DEFAULTS.AUTOSCALING_DEFAULTS],
  ['frontend.autoscaling', DEFAULTS.AUTOSCALING_DEFAULTS],
  ['postgres.backup', DEFAULTS.BACKUP_DEFAULTS],
];

/** Defaults the code applies that the schema does not declare (the JSON schema keeps them out). */
const CODE_ONLY = ['tls.internalCa.source', 'postgres.backup.schedule', 'postgres.backup.restoreDrillSchedule', 'postgres.backup.resources'];

/** The constant's value for a key of the file, or undefined where no constant holds it. */
function constantFor(key: string): unknown {
  const section = SECTIONS.filter(([at]) => key.startsWith(`${at}.`)).sort((a, b) => b[0].length - a[0].length)[0];
  if (!section) return undefined;
  return key.slice(section[0].length + 1).split('.').reduce<unknown>((node, k) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined), section[1]);
}

/** Every key a constant gives a value: down to a key with a schema default, a code-only one, or a plain value. */
function constantKeys(): string[] {
  const declared = new Set(ALL.map((d) => d.path.join('.')));
  const walk = (node: unknown, key: string): string[] =>
    declared.has(key) || CODE_ONLY.includes(key) || node === null || typeof node !== 'object' || Array.isArray(node)
      ? [key]
      : Object.entries(node).flatMap(([k, v]) => walk(v, `${key}.${k}`));
  return SECTIONS.flatMap(([at, constant]) => walk(constant, at));
}

describe('the default constants', () => {
  it('give every default of the JSON schema its value', () => {
    const differing = ALL.map(({ path: p, value }) => ({ key: p.join('.'), schema: value, code: constantFor(p.join('.')) })).filter((d) => JSON.stringify(d.schema) !== JSON.stringify(d.code));
    expect(ALL.length).toBeGreaterThanOrEqual(33);
    expect(differing).toEqual([]);
  });

  it('are each a default of the JSON schema, or one the code alone applies', () => {
    const declared = new Set(ALL.map((d) => d.path.join('.')));
    const undeclared = constantKeys().filter((key) => !declared.has(key));
    expect(undeclared.sort()).toEqual([...CODE_ONLY].sort());
  });

  it('are not spelled out again as a fallback in lib/', () => {
    const strings = new Set(constantKeys().map(constantFor).filter((v): v is string => typeof v === 'string'));
    const files = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const root = path.resolve(__dirname, '../..');
    const repeated = files(path.join(root, 'lib')).flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/\?\?\s*'([^']*)'/g)].filter((m) => strings.has(m[1]!)).map((m) => `${path.relative(root, file)}: ${m[0]}`),
    );
    expect(strings.size).toBeGreaterThanOrEqual(20);
    expect(repeated).toEqual([]);
  });
});

describe.each(['staging', 'production'])('the schema defaults in %s', (name) => {
  const committed = parseDocument(committedText(name));
  // Keys whose section the file has: the default applies there (a section left out has its own rules),
  // and whose removal leaves a valid file (production's autoscaling: true decides which replica
  // settings are allowed, so its default cannot stand in for it there).
  const loads = (text: string) => loadEnvironments([sourceFor(name, text)]).ok;
  const applicable = ALL.filter(({ path }) => (path.length === 1 || committed.hasIn(path.slice(0, -1))) && loads(edit(committedText(name), (doc) => doc.deleteIn(path))));
  const bare = edit(committedText(name), (doc) => applicable.forEach(({ path }) => doc.deleteIn(path)));
  const baseline = render(name, bare);

  it('covers the keys with defaults', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(20);
    expect(applicable.length).toBeGreaterThanOrEqual(12);
  });

  it.each(applicable.map((d) => [d.path.join('.'), d] as const))('%s: set to its default renders what leaving it out renders', (_key, { path, value }) => {
    const explicit = edit(bare, (doc) => doc.setIn(path, doc.createNode(value)));
    expect(render(name, explicit)).toEqual(baseline);
  });
});
