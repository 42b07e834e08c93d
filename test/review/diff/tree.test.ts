import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { diffTrees, objectsOf, readTree, readTreeAtRef, treeOf, type Tree } from '../../../lib/review/diff';
import { toYaml } from '../../../lib/render/render';
import { tempDir } from '../../support/cli';
import { renderCommitted } from '../../support/render';
import { PRODUCTION } from './trees';

const folders: string[] = [];
afterAll(() => {
  for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
});

function scratch(): string {
  const folder = tempDir('diff');
  folders.push(folder);
  return folder;
}

/** Writes the committed environments as `npm run synth` writes them. */
function writeDist(dist: string): void {
  for (const env of renderCommitted()) {
    fs.mkdirSync(path.join(dist, env.name), { recursive: true });
    for (const file of env.files) {
      fs.mkdirSync(path.dirname(path.join(dist, env.name, file.name)), { recursive: true });
      fs.writeFileSync(path.join(dist, env.name, file.name), file.content);
    }
  }
}

function plain(tree: Tree): Record<string, unknown> {
  return Object.fromEntries(tree);
}

describe('readTree', () => {
  it('reads every .k8s.yaml file of each environment folder in apply order, and ignores other files', () => {
    const dist = path.join(scratch(), 'dist');
    writeDist(dist);
    fs.writeFileSync(path.join(dist, 'staging', 'READINESS.md'), '# readiness\n');
    fs.writeFileSync(path.join(dist, 'staging', 'notes.yaml'), 'kind: NotAnObject\n');
    fs.mkdirSync(path.join(dist, 'scratch'));
    fs.writeFileSync(path.join(dist, 'scratch', 'README.md'), 'not an environment\n');
    fs.writeFileSync(path.join(dist, 'README.md'), 'top-level file\n');
    expect(plain(readTree(dist))).toEqual(plain(treeOf(renderCommitted())));
  });

  it('fails naming the file and document that is not a Kubernetes object', () => {
    const dist = path.join(scratch(), 'dist');
    writeDist(dist);
    const file = fs.readdirSync(path.join(dist, 'staging')).find((n) => n.endsWith('.k8s.yaml'))!;
    fs.appendFileSync(path.join(dist, 'staging', file), '---\nkind: ConfigMap\n');
    const documents = parseAllDocuments(fs.readFileSync(path.join(dist, 'staging', file), 'utf8')).length;
    expect(() => readTree(dist)).toThrow(`staging/${file}: document ${documents} is not a Kubernetes object (expected apiVersion, kind and metadata.name)`);
  });

  it('fails clearly on a folder that does not exist', () => {
    const missing = path.join(scratch(), 'no-dist');
    expect(() => readTree(missing)).toThrow(`${missing}: not a folder of rendered environments`);
  });
});

describe('readTreeAtRef', () => {
  let repo: string;
  const git = (...args: string[]): string =>
    execFileSync('git', ['-c', 'user.name=Gravl Test', '-c', 'user.email=test@gravl.app', '-c', 'commit.gpgsign=false', ...args], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });

  beforeAll(() => {
    repo = scratch();
    git('init', '--quiet', '--initial-branch', 'main');
    fs.writeFileSync(path.join(repo, 'README.md'), 'manifests\n');
    git('add', '.');
    git('commit', '--quiet', '-m', 'start');
    git('tag', 'before-dist');
    writeDist(path.join(repo, 'dist'));
    git('add', '.');
    git('commit', '--quiet', '-m', 'render');
    git('tag', 'rendered');
    // The next commit scales staging's backend and adds an environment, as a pull request would.
    const staging = renderCommitted().find((e) => e.name === 'staging')!;
    const objects = structuredClone(staging.objects) as any[];
    const backend = objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'backend');
    backend.spec.replicas += 1;
    fs.rmSync(path.join(repo, 'dist', 'staging'), { recursive: true });
    fs.mkdirSync(path.join(repo, 'dist', 'staging'));
    fs.writeFileSync(path.join(repo, 'dist', 'staging', '0000-all.k8s.yaml'), toYaml(objects));
    fs.cpSync(path.join(repo, 'dist', 'production'), path.join(repo, 'dist', 'preview'), { recursive: true });
    git('add', '--all');
    git('commit', '--quiet', '-m', 'scale staging, add preview');
  });

  it('reads dist/ as committed at a ref, the same as the folder it was written from', () => {
    expect(plain(readTreeAtRef(repo, 'rendered'))).toEqual(plain(treeOf(renderCommitted())));
  });

  it('compares two commits of a real repository object by object', () => {
    const base = readTreeAtRef(repo, 'HEAD~1');
    const head = readTreeAtRef(repo, 'main');
    expect([...head.keys()]).toEqual(['preview', 'production', 'staging']);
    const report = diffTrees(base, head, { production: PRODUCTION });
    expect(report.environments.map((e) => [e.name, e.status])).toEqual([
      ['preview', 'added'],
      ['production', 'unchanged'],
      ['staging', 'changed'],
    ]);
    const staging = report.environments.find((e) => e.name === 'staging')!;
    const replicas = backendReplicas('staging');
    expect(objectsOf(staging, 'changed').map((c) => [c.id, c.fields])).toEqual([['Deployment gravl-staging/backend', [{ path: 'spec.replicas', old: replicas, new: replicas + 1 }]]]);
  });

  it('reads the repository from any folder inside it, and a dist path given with ./ and a trailing slash', () => {
    expect(plain(readTreeAtRef(path.join(repo, 'dist', 'production'), 'rendered', './dist/'))).toEqual(plain(treeOf(renderCommitted())));
  });

  it('reads a dist path given as an absolute path inside the repository, and rejects one outside it', () => {
    expect(plain(readTreeAtRef(repo, 'rendered', path.join(repo, 'dist')))).toEqual(plain(treeOf(renderCommitted())));
    const outside = scratch();
    expect(() => readTreeAtRef(repo, 'rendered', outside)).toThrow(`${outside}: not inside the git repository`);
  });

  it('gives an empty tree at a commit that has no dist/', () => {
    expect(readTreeAtRef(repo, 'before-dist').size).toBe(0);
  });

  it('fails clearly on an unknown ref', () => {
    expect(() => readTreeAtRef(repo, 'no-such-branch')).toThrow('unknown git ref "no-such-branch": expected a commit, branch or tag of this repository');
  });

  it('rejects a ref that reads as a git option', () => {
    expect(() => readTreeAtRef(repo, '--output=stolen')).toThrow('unknown git ref "--output=stolen"');
    expect(fs.existsSync(path.join(repo, 'stolen'))).toBe(false);
  });

  it('fails clearly outside a git repository', () => {
    const folder = scratch();
    expect(() => readTreeAtRef(folder, 'main')).toThrow(`${folder}: not inside a git repository, so git ref "main" cannot be read`);
  });
});

function backendReplicas(env: string): number {
  const backend = renderCommitted().find((e) => e.name === env)!.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'backend')!;
  return (backend.spec as { replicas: number }).replicas;
}
