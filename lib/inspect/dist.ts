/**
 * Reads one rendered environment folder (`dist/<env>/`) as kubectl would apply it: the files the
 * kustomization lists, in its order, and beside them the manual ones (`manual/*.k8s.yaml`).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { MANUAL_DIR, type KubeObject, type ManifestFile } from '../synth/render';

/** One file of the folder and the objects in it. */
export type DistFile = ManifestFile;

/** An environment folder as read from disk. */
export interface DistEnvironment {
  readonly name: string;
  readonly dir: string;
  /** The files the kustomization lists, in apply order. */
  readonly files: readonly DistFile[];
  /** Files under manual/, applied on purpose only. */
  readonly manualFiles: readonly DistFile[];
  /** The keys of kustomization.yaml (a patch or a generator there changes what is applied). */
  readonly kustomizationKeys: readonly string[];
}

function parseFile(file: string, text: string): KubeObject[] {
  return parseAllDocuments(text)
    .map((doc, i) => {
      if (doc.errors.length > 0) throw new Error(`${file}: document ${i + 1}: ${doc.errors[0]!.message.split('\n')[0]}`);
      return doc.toJS() as KubeObject | null;
    })
    .filter((o): o is KubeObject => o !== null);
}

/** Reads `dir`; throws a short Error when it is not a rendered environment. */
export function readDistEnvironment(dir: string): DistEnvironment {
  const kustomizationFile = path.join(dir, 'kustomization.yaml');
  if (!fs.existsSync(kustomizationFile)) throw new Error(`${dir}: no kustomization.yaml, not a rendered environment folder`);
  const kustomization = (parse(fs.readFileSync(kustomizationFile, 'utf8')) ?? {}) as { resources?: unknown };
  const resources = Array.isArray(kustomization?.resources) ? kustomization.resources.map(String) : [];
  const files = resources.map((name) => {
    const file = path.join(dir, name);
    if (!fs.existsSync(file)) throw new Error(`${kustomizationFile}: lists ${name}, which does not exist`);
    return { name, objects: parseFile(file, fs.readFileSync(file, 'utf8')) };
  });
  const manualDir = path.join(dir, MANUAL_DIR);
  const manualFiles = fs.existsSync(manualDir)
    ? fs
        .readdirSync(manualDir)
        .filter((n) => n.endsWith('.k8s.yaml'))
        .sort()
        .map((n) => ({ name: `${MANUAL_DIR}/${n}`, objects: parseFile(path.join(manualDir, n), fs.readFileSync(path.join(manualDir, n), 'utf8')) }))
    : [];
  return { name: path.basename(dir), dir, files, manualFiles, kustomizationKeys: Object.keys(kustomization) };
}

/** The environment folders of a dist folder (those with a kustomization.yaml), by name. */
export function environmentDirs(distDir: string): string[] {
  if (!fs.existsSync(distDir)) throw new Error(`${distDir}: no such folder`);
  if (fs.existsSync(path.join(distDir, 'kustomization.yaml'))) return [distDir];
  return fs
    .readdirSync(distDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && fs.existsSync(path.join(distDir, e.name, 'kustomization.yaml')))
    .map((e) => path.join(distDir, e.name))
    .sort();
}
