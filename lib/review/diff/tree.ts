/**
 * Rendered trees: every environment of a `dist/` folder as its objects in apply order, read from
 * the working tree, from a git commit, or from environments rendered in memory.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { parseManifest } from '../inspect/dist';
import { loadRendered } from '../inspect/yaml-read';
import { ARGOCD_DIR, KUSTOMIZATION_FILE, type KubeObject, MANIFEST_SUFFIX, MANUAL_DIR, type RenderedFile } from '../../contract';

/** Environment name -> its objects, in apply order (file order, then document order). */
export type Tree = ReadonlyMap<string, readonly KubeObject[]>;

/** The kustomization is compared too (a file it stops listing is no longer applied), as an object of this name. */
const KUSTOMIZATION = KUSTOMIZATION_FILE;
/** dist/argocd/ holds the Argo CD Applications: compared as an environment of its own. */
const APPLICATIONS = ARGOCD_DIR;

type FileKind = 'manifest' | 'kustomization';
interface TreeFile {
  readonly name: string;
  readonly text: string;
  readonly kind: FileKind;
}

/**
 * What a file of dist/ is to the diff, by its path below dist/ (`env/file` or `env/manual/file`):
 * a manifest (`*.k8s.yaml`; any `*.yaml` in argocd/), the environment's kustomization, or nothing.
 */
function fileKind(parts: readonly string[]): FileKind | undefined {
  const [env, ...rest] = parts;
  const name = rest[rest.length - 1] ?? '';
  if (rest.length === 0 || rest.length > 2 || (rest.length === 2 && rest[0] !== MANUAL_DIR)) return undefined;
  if (env === APPLICATIONS) return rest.length === 1 && name.endsWith('.yaml') ? 'manifest' : undefined;
  if (rest.length === 1 && name === KUSTOMIZATION) return 'kustomization';
  return name.endsWith(MANIFEST_SUFFIX) ? 'manifest' : undefined;
}

/**
 * kustomization.yaml as an object the diff can match (it has no metadata.name of its own). The
 * files it lists are named without their apply-order number (`0005-backend.k8s.yaml` reads
 * `backend.k8s.yaml`): objects are matched by identity wherever they sit, so a file renumbered
 * with the same objects is no change.
 */
export function kustomizationObject(text: string, where: string): KubeObject {
  // The first document, as the generator wrote it (read with js-yaml) or else as the `yaml` package reads it.
  const value = ((loadRendered(text) ?? [parseAllDocuments(text)[0]?.toJS() as unknown])[0] ?? {}) as Record<string, unknown>;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${where}: not a kustomization`);
  const resources = Array.isArray(value.resources) ? { resources: value.resources.map((r) => (typeof r === 'string' ? r.replace(/^\d+-(?=[^/]+$)/, '') : r)) } : {};
  return { apiVersion: String(value.apiVersion ?? 'kustomize.config.k8s.io/v1beta1'), kind: String(value.kind ?? 'Kustomization'), ...value, ...resources, metadata: { name: 'kustomization' } };
}

/**
 * Reads `<distDir>/<env>/*.k8s.yaml`: every `.k8s.yaml` file of each subfolder, in file-name order
 * (which is the apply order), its `kustomization.yaml` as an object named `kustomization`, then the
 * files of its `manual/` folder (objects applied on purpose only); `argocd/` holds the
 * Applications. Other files (`READINESS.md`) are ignored, and a subfolder holding none of these is
 * not an environment.
 * @throws Error when the folder does not exist or a file is not valid Kubernetes YAML.
 */
export function readTree(distDir: string): Tree {
  if (!fs.existsSync(distDir) || !fs.statSync(distDir).isDirectory()) throw new Error(`${distDir}: not a folder of rendered environments`);
  const files = new Map<string, TreeFile[]>();
  for (const env of fs.readdirSync(distDir, { withFileTypes: true })) {
    if (!env.isDirectory()) continue;
    for (const sub of ['', MANUAL_DIR]) {
      const dir = path.join(distDir, env.name, sub);
      if (!fs.existsSync(dir)) continue;
      for (const file of fs.readdirSync(dir, { withFileTypes: true })) {
        const kind = file.isFile() ? fileKind([env.name, ...(sub ? [sub] : []), file.name]) : undefined;
        if (!kind) continue;
        const list = files.get(env.name) ?? [];
        list.push({ name: path.posix.join(env.name, sub, file.name), text: fs.readFileSync(path.join(dir, file.name), 'utf8'), kind });
        files.set(env.name, list);
      }
    }
  }
  return buildTree(files);
}

/**
 * Reads `<distPath>/<env>/*.k8s.yaml` as committed at a git ref, with the same rules as
 * {@link readTree}. A ref at which `distPath` does not exist gives an empty tree (every environment
 * of the other side is then reported as added).
 * @param repoDir a folder inside the git repository
 * @param ref a commit, branch or tag (anything `git rev-parse` resolves to a commit)
 * @param distPath the rendered folder: relative to the repository root, or an absolute path inside the repository
 * @default distPath 'dist'
 * @throws Error naming the ref when it does not resolve to a commit, when repoDir is not in a git
 *   repository, or when an absolute distPath is outside it.
 */
export function readTreeAtRef(repoDir: string, ref: string, distPath = 'dist'): Tree {
  const commit = resolveCommit(repoDir, ref);
  const prefix = repositoryPath(repoDir, distPath);
  // --full-tree: paths from the repository root, whatever folder inside it repoDir is.
  const listing = git(repoDir, ['ls-tree', '-r', '-z', '--full-tree', commit, '--', prefix === '' ? '.' : `${prefix}/`]);
  const blobs: Array<{ env: string; name: string; oid: string; kind: FileKind }> = [];
  for (const entry of listing.split('\0')) {
    if (entry === '') continue;
    // `<mode> <type> <oid>\t<path>`
    const tab = entry.indexOf('\t');
    const [, type, oid] = entry.slice(0, tab).split(' ');
    const file = entry.slice(tab + 1);
    const parts = (prefix === '' ? file : file.slice(prefix.length + 1)).split('/');
    const kind = fileKind(parts);
    if (type !== 'blob' || !oid || !kind) continue;
    blobs.push({ env: parts[0]!, name: parts.join('/'), oid, kind });
  }
  const texts = readBlobs(repoDir, blobs.map((b) => b.oid));
  const files = new Map<string, TreeFile[]>();
  blobs.forEach((b, i) => {
    const list = files.get(b.env) ?? [];
    list.push({ name: `${b.name} at ${ref}`, text: texts[i]!, kind: b.kind });
    files.set(b.env, list);
  });
  return buildTree(files);
}

/** An environment rendered in memory, as {@link treeOf} reads it: its files, and its objects already parsed. */
export interface RenderedTree {
  readonly name: string;
  /** The files of dist/<env>/ (the kustomization among them). */
  readonly files: readonly RenderedFile[];
  /** What the kustomization applies, in apply order. */
  readonly objects: readonly KubeObject[];
  /** The objects of manual/. */
  readonly manualObjects: readonly KubeObject[];
}

/** The tree of environments rendered in memory (what `npm run synth` would write), with the shared files of dist/ (the Applications). */
export function treeOf(environments: readonly RenderedTree[], shared: readonly RenderedFile[] = []): Tree {
  const tree = new Map<string, KubeObject[]>();
  for (const e of [...environments].sort((a, b) => compareNames(a.name, b.name))) {
    const kustomization = e.files.find((f) => f.name === KUSTOMIZATION);
    tree.set(e.name, [...e.objects, ...(kustomization ? [kustomizationObject(kustomization.content, `${e.name}/${KUSTOMIZATION}`)] : []), ...e.manualObjects]);
  }
  const applications = shared.filter((f) => f.name.startsWith(`${APPLICATIONS}/`)).sort((a, b) => compareNames(a.name, b.name));
  if (applications.length > 0) tree.set(APPLICATIONS, applications.flatMap((f) => parseManifest(f.name, f.content)));
  return new Map([...tree].sort((a, b) => compareNames(a[0], b[0])));
}

/** Code-point order, the same on every machine (unlike localeCompare). */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function buildTree(files: ReadonlyMap<string, readonly TreeFile[]>): Tree {
  const tree = new Map<string, KubeObject[]>();
  for (const env of [...files.keys()].sort(compareNames)) {
    const objects: KubeObject[] = [];
    const sorted = [...files.get(env)!].sort((a, b) => compareNames(a.name, b.name));
    for (const file of sorted) {
      if (file.kind === 'kustomization') objects.push(kustomizationObject(file.text, file.name));
      else objects.push(...parseManifest(file.name, file.text));
    }
    tree.set(env, objects);
  }
  return tree;
}


/** `distPath` relative to the repository root, in git's spelling ('' for the root itself). */
function repositoryPath(repoDir: string, distPath: string): string {
  if (!path.isAbsolute(distPath)) return path.posix.normalize(distPath.split(path.sep).join('/')).replace(/^(\.\/)+|\/+$/g, '').replace(/^\.$/, '');
  const root = git(repoDir, ['rev-parse', '--show-toplevel']).trim();
  const relative = path.relative(fs.realpathSync(root), fs.existsSync(distPath) ? fs.realpathSync(distPath) : distPath);
  if (relative.startsWith('..') || path.isAbsolute(relative)) throw new Error(`${distPath}: not inside the git repository at ${root}`);
  return relative.split(path.sep).join('/');
}

function resolveCommit(repoDir: string, ref: string): string {
  try {
    git(repoDir, ['rev-parse', '--git-dir']);
  } catch {
    throw new Error(`${repoDir}: not inside a git repository, so git ref "${ref}" cannot be read`);
  }
  try {
    return git(repoDir, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]).trim();
  } catch {
    throw new Error(`unknown git ref "${ref}": expected a commit, branch or tag of this repository`);
  }
}

/** Every blob in one `git cat-file --batch` process, however many files the tree holds. */
function readBlobs(repoDir: string, oids: readonly string[]): string[] {
  if (oids.length === 0) return [];
  const out = execFileSync('git', ['cat-file', '--batch'], { cwd: repoDir, input: oids.join('\n') + '\n', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  const texts: string[] = [];
  let at = 0;
  for (const oid of oids) {
    const eol = out.indexOf(0x0a, at);
    const header = out.subarray(at, eol).toString('utf8').split(' ');
    if (header[0] !== oid || header[1] !== 'blob') throw new Error(`git cat-file: unexpected answer for ${oid}: ${header.join(' ')}`);
    const size = Number(header[2]);
    texts.push(out.subarray(eol + 1, eol + 1 + size).toString('utf8'));
    at = eol + 1 + size + 1;
  }
  return texts;
}

/**
 * Whether git sees a change in the folder `dir` against its repository's last commit (an edited,
 * added or removed file); false outside a repository, or where git cannot tell.
 */
export function hasUncommittedChanges(dir: string): boolean {
  try {
    return git(dir, ['status', '--porcelain', '--', '.']).trim() !== '';
  } catch {
    return false;
  }
}

function git(cwd: string, args: readonly string[]): string {
  return execFileSync('git', args, { cwd, encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
}
