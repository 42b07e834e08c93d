/**
 * Reads one rendered environment folder (`dist/<env>/`) as kubectl would apply it: the files the
 * kustomization lists, in its order, and beside them the manual ones (`manual/*.k8s.yaml`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { KUSTOMIZATION_FILE, type KubeObject, MANIFEST_SUFFIX, MANUAL_DIR, type ManifestFile } from '../../contract';
import { loadRendered } from './yaml-read';

/** The keys of a kustomization that only list and order the files: any other changes what kubectl applies. */
export const KUSTOMIZATION_KEYS: readonly string[] = Object.freeze(['apiVersion', 'kind', 'resources', 'sortOptions']);

/** One file of the folder and the objects in it. */
export type DistFile = ManifestFile;

/** An environment folder as read from disk. */
export interface DistEnvironment {
  readonly name: string;
  /** The files the kustomization lists, in apply order. */
  readonly files: readonly DistFile[];
  /** Files under manual/, applied on purpose only. */
  readonly manualFiles: readonly DistFile[];
  /** The keys of kustomization.yaml (a patch or a generator there changes what is applied). */
  readonly kustomizationKeys: readonly string[];
}

/**
 * The Kubernetes objects of a manifest file (empty documents skipped). A file as the generator
 * writes it is read with js-yaml (several times faster); any other text, and any text that does
 * not hold only Kubernetes objects, with the `yaml` package, which words the error.
 * @throws Error naming the file and document that is not valid YAML or not a Kubernetes object.
 */
export function parseManifest(name: string, text: string): KubeObject[] {
  const documents = loadRendered(text);
  if (documents !== undefined) {
    const objects = documents.filter((d) => d !== null && d !== undefined);
    if (objects.every(isKubeObject)) return objects;
  }
  return parseManifestWithYaml(name, text);
}

/** {@link parseManifest} with the `yaml` package alone: what every text was read with before js-yaml's fast path. */
export function parseManifestWithYaml(name: string, text: string): KubeObject[] {
  const objects: KubeObject[] = [];
  parseAllDocuments(text).forEach((doc, index) => {
    if (doc.errors.length > 0) throw new Error(`${name}: document ${index + 1} is not valid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS({ maxAliasCount: -1 });
    if (value === null || value === undefined) return;
    if (!isKubeObject(value)) throw new Error(`${name}: document ${index + 1} is not a Kubernetes object (expected apiVersion, kind and metadata.name)`);
    objects.push(value);
  });
  return objects;
}

function isKubeObject(value: unknown): value is KubeObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const o = value as Record<string, unknown>;
  const metadata = o.metadata as Record<string, unknown> | undefined;
  return typeof o.apiVersion === 'string' && typeof o.kind === 'string' && typeof metadata === 'object' && metadata !== null && typeof metadata.name === 'string';
}

/** Whether `dir` holds a rendered environment (its kustomization.yaml). */
export function isEnvironmentDir(dir: string): boolean {
  return fs.existsSync(path.join(dir, KUSTOMIZATION_FILE));
}

/** Reads `dir`; throws a short Error when it is not a rendered environment. */
export function readDistEnvironment(dir: string): DistEnvironment {
  const kustomizationFile = path.join(dir, KUSTOMIZATION_FILE);
  if (!isEnvironmentDir(dir)) throw new Error(`${dir}: no ${KUSTOMIZATION_FILE}, not a rendered environment folder`);
  const kustomizationText = fs.readFileSync(kustomizationFile, 'utf8');
  const rendered = loadRendered(kustomizationText);
  // `parse` rejects a text of several documents: such a text is left to it.
  const kustomization = ((rendered !== undefined && rendered.length <= 1 ? rendered[0] : parse(kustomizationText)) ?? {}) as { resources?: unknown };
  const resources = Array.isArray(kustomization?.resources) ? kustomization.resources.map(String) : [];
  const files = resources.map((name) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`${kustomizationFile}: lists ${name}, which does not exist`);
    return { name, objects: parseManifest(file, fs.readFileSync(file, 'utf8')) };
  });
  const manualDir = path.join(dir, MANUAL_DIR);
  const manualFiles = fs.existsSync(manualDir)
    ? fs
        .readdirSync(manualDir)
        .filter((n) => n.endsWith(MANIFEST_SUFFIX))
        .sort()
        .map((n) => ({ name: `${MANUAL_DIR}/${n}`, objects: parseManifest(path.join(manualDir, n), fs.readFileSync(path.join(manualDir, n), 'utf8')) }))
    : [];
  return { name: path.basename(dir), files, manualFiles, kustomizationKeys: Object.keys(kustomization) };
}

/** The environment folders of a dist folder (those with a kustomization.yaml), by name. */
export function environmentDirs(distDir: string): string[] {
  if (!fs.existsSync(distDir)) throw new Error(`${distDir}: no such folder`);
  if (isEnvironmentDir(distDir)) return [distDir];
  return fs
    .readdirSync(distDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && isEnvironmentDir(path.join(distDir, e.name)))
    .map((e) => path.join(distDir, e.name))
    .sort();
}
