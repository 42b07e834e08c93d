/**
 * Shared test fixtures: the committed environment files, rendered once per test file, and helpers
 * to derive broken variants of a file by editing its YAML document (so line numbers stay real).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseDocument } from 'yaml';
import { loadEnvironments, type Environment, type EnvironmentSource } from '../../lib/model/load';
import { formatProblem } from '../../lib/model/problems';
import { renderAll } from '../../lib/render/synth';
import { imageVersion } from '../../lib/system/postgres/migrations';
import type { RenderedEnvironment } from '../../lib/render/render';
import { type KubeObject } from '../../lib/contract';

export const ROOT = path.resolve(__dirname, '..', '..');
export const ENVIRONMENTS_DIR = path.join(ROOT, 'environments');
export const SECRETS_DIR = path.join(ROOT, 'secrets');

/** An environment file's text as the CLI (lib/cli/main.ts) passes it, with the committed sealed values of the environment of that name. */
export function sourceFor(name: string, text: string): EnvironmentSource {
  const sealedFile = path.join(SECRETS_DIR, name, 'sealed-values.yaml');
  const certFile = path.join(SECRETS_DIR, name, 'sealing-cert.pem');
  return {
    file: `environments/${name}.yaml`,
    text,
    sealedValues: { file: `secrets/${name}/sealed-values.yaml`, ...(fs.existsSync(sealedFile) ? { text: fs.readFileSync(sealedFile, 'utf8') } : {}) },
    sealingCertificate: { file: `secrets/${name}/sealing-cert.pem`, ...(fs.existsSync(certFile) ? { text: fs.readFileSync(certFile, 'utf8') } : {}) },
  };
}

/** The committed environment files, as the CLI (lib/cli/main.ts) reads them. */
export function committedSources(): EnvironmentSource[] {
  return fs
    .readdirSync(ENVIRONMENTS_DIR)
    .filter((n) => n.endsWith('.yaml'))
    .sort()
    .map((n) => sourceFor(n.replace(/\.yaml$/, ''), fs.readFileSync(path.join(ENVIRONMENTS_DIR, n), 'utf8')));
}

/** A committed environment as the model loads it (for building a component on its own). */
export function loadedEnvironment(name: string): Environment {
  const loaded = loadEnvironments(committedSources());
  if (!loaded.ok) throw new Error('the committed environments do not load');
  const env = loaded.environments.find((e) => e.name === name);
  if (!env) throw new Error(`no committed environment ${name}`);
  return env;
}

/** The text of one committed environment file. */
export function committedText(name: string): string {
  return fs.readFileSync(path.join(ENVIRONMENTS_DIR, `${name}.yaml`), 'utf8');
}

/**
 * A value of a committed environment file, as the file says it today: for a test of what the
 * generator makes of the file's data (an image, a replica count), which must follow the file when
 * a release or a scaling changes it. Throws when the file has no such key.
 */
export function committedValue(name: string, at: readonly string[]): unknown {
  const value = at.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), parseDocument(committedText(name)).toJS());
  if (value === undefined) throw new Error(`environments/${name}.yaml has no ${at.join('.')}`);
  return value;
}

/** The name of the migration Job of the backend release a committed environment names today (backend-migrate-1-4-2). */
export function migrationJobName(name: string): string {
  return `backend-migrate-${imageVersion(String(committedValue(name, ['backend', 'image'])))}`;
}

/** The tag of a committed environment's image (`backend` or `frontend`), as the file says it today. */
export function committedTag(name: string, component: 'backend' | 'frontend'): string {
  const image = String(committedValue(name, [component, 'image']));
  const tag = /:([^:/]+)$/.exec(image.split('@')[0]!)?.[1];
  if (!tag) throw new Error(`environments/${name}.yaml: ${component}.image ${image} has no tag`);
  return tag;
}

let rendered: RenderedEnvironment[] | undefined;

/** Freezes a value and everything in it. */
export function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

/**
 * Every committed environment, rendered in memory once per worker and shared by its test files
 * (vitest.config.mts): frozen, so a test that edits it without copying throws instead of changing
 * what the others read (its files, written when first read, included).
 */
export function renderCommitted(): RenderedEnvironment[] {
  rendered ??= deepFreeze(renderAll(committedSources()).environments);
  return rendered;
}

/** One rendered environment by name. */
export function environment(name: string): RenderedEnvironment {
  const env = renderCommitted().find((e) => e.name === name);
  if (!env) throw new Error(`no environment ${name}`);
  return env;
}

/** Renders environment files given as text (for variants of the committed ones). */
export function renderTexts(texts: Record<string, string>): RenderedEnvironment[] {
  return renderAll(Object.entries(texts).map(([name, text]) => sourceFor(name, text))).environments;
}

/** The objects of a kind (and name) in a rendered environment. */
export function objects(env: RenderedEnvironment, kind: string, name?: string): KubeObject[] {
  return env.objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
}

/** Exactly one object; fails the test when there is none or several. */
export function object(env: RenderedEnvironment, kind: string, name: string): KubeObject {
  const found = objects(env, kind, name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name} in ${env.name}, found ${found.length}`);
  return found[0]!;
}

/** Edits a YAML text through its document, keeping comments and the position of untouched lines. */
export function edit(text: string, change: (doc: ReturnType<typeof parseDocument>) => void): string {
  const doc = parseDocument(text);
  change(doc);
  return doc.toString();
}

/** The problem lines that loading these files gives (empty when they are valid). */
export function problemsOf(texts: Record<string, string>): string[] {
  const result = loadEnvironments(Object.entries(texts).map(([name, text]) => sourceFor(name, text)));
  return result.ok ? [] : result.problems.map(formatProblem);
}

/** The containers and init containers of a pod-owning object. */
export function containersOf(o: KubeObject): Array<Record<string, any>> {
  const spec = podSpecOf(o);
  return spec ? [...(spec.initContainers ?? []), ...(spec.containers ?? [])] : [];
}

/** The pod spec of a Deployment, StatefulSet, DaemonSet, Job or CronJob. */
export function podSpecOf(o: KubeObject): Record<string, any> | undefined {
  const spec = o.spec as Record<string, any> | undefined;
  if (o.kind === 'CronJob') return spec?.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'ReplicaSet'].includes(o.kind)) return spec?.template?.spec;
  if (o.kind === 'Pod') return spec;
  return undefined;
}
