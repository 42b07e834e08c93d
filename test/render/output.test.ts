import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, parse } from 'yaml';
import { lazyFile, toYaml } from '../../lib/render/render';
import { renderAll, synth } from '../../lib/render/synth';
import { tempDir, treeDigest } from '../support/cli';
import { committedSources, renderCommitted, ROOT } from '../support/render';

describe('rendered output', () => {
  it('is one NNNN-<chart>.k8s.yaml per chart in apply order plus a kustomization listing them in that order', () => {
    for (const env of renderCommitted()) {
      const names = env.files.map((f) => f.name).filter((n) => !n.startsWith('manual/'));
      expect(names.slice(-2)).toEqual(['kustomization.yaml', 'READINESS.md']);
      const manifests = names.slice(0, -2);
      manifests.forEach((name, i) => expect(name).toMatch(new RegExp(`^${String(i).padStart(4, '0')}-[a-z0-9-]+\\.k8s\\.yaml$`)));
      const kustomization = parse(env.files.find((f) => f.name === 'kustomization.yaml')!.content);
      expect(kustomization).toMatchObject({ apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', sortOptions: { order: 'fifo' } });
      expect(kustomization.resources).toEqual(manifests);
    }
  });

  it('puts every object in exactly one file, in the order of env.objects, and manual ones under manual/', () => {
    for (const env of renderCommitted()) {
      const docs = (manual: boolean) =>
        env.files.filter((f) => f.name.endsWith('.k8s.yaml') && f.name.startsWith('manual/') === manual).flatMap((f) => parseAllDocuments(f.content).map((d) => d.toJS()));
      expect(docs(false)).toEqual(env.objects);
      expect(docs(true)).toEqual(env.manualObjects);
    }
  });

  it('is byte-identical when rendered and written twice', async () => {
    const dirs = [tempDir('out'), tempDir('out')];
    try {
      for (const dir of dirs) await synth(committedSources(), path.join(dir, 'dist'));
      expect(treeDigest(path.join(dirs[1]!, 'dist'))).toEqual(treeDigest(path.join(dirs[0]!, 'dist')));
      expect(Object.keys(treeDigest(path.join(dirs[0]!, 'dist'))).length).toBeGreaterThan(10);
    } finally {
      for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('names only source files that exist (a runbook or comment that points into lib/ points at a real file or folder)', () => {
    const named = new Set(renderCommitted().flatMap((env) => env.files.flatMap((f) => [...f.content.matchAll(/(?<![\w/.-])lib\/[A-Za-z0-9_./-]*[A-Za-z0-9_]/g)].map((m) => m[0]))));
    expect(named.size).toBeGreaterThan(0);
    for (const source of named) expect(fs.existsSync(path.join(ROOT, source)), source).toBe(true);
  });

  // The committed dist/ is the snapshot of the whole output, reviewed as a rendered diff: a change
  // to a file or to lib/ shows there, once, and synth updates it.
  it('matches the committed dist/ (run npm run synth and commit dist/ when this fails)', () => {
    const committed = fs.readdirSync(path.join(ROOT, 'dist')).sort();
    expect(committed).toEqual(['argocd', ...renderCommitted().map((e) => e.name)].sort());
    for (const env of renderCommitted()) {
      const dir = path.join(ROOT, 'dist', env.name);
      expect(fs.readdirSync(dir, { recursive: true }).map(String).filter((n) => n.includes('.')).sort()).toEqual(env.files.map((f) => f.name).sort());
      for (const file of env.files) expect(fs.readFileSync(path.join(dir, file.name), 'utf8'), `dist/${env.name}/${file.name}`).toBe(file.content);
    }
  });
});

describe('a rendered file', () => {
  it('is written when its text is first read, and once', () => {
    let writes = 0;
    const file = lazyFile('0000-x.k8s.yaml', () => `text ${++writes}\n`);
    expect(file.name).toBe('0000-x.k8s.yaml');
    expect(writes).toBe(0);
    expect(file.content).toBe('text 1\n');
    expect(file.content).toBe('text 1\n');
    expect(writes).toBe(1);
    // Copied or cloned, it carries its text.
    expect({ ...file }).toEqual({ name: '0000-x.k8s.yaml', content: 'text 1\n' });
    expect(structuredClone(file)).toEqual({ name: '0000-x.k8s.yaml', content: 'text 1\n' });
  });

  it('holds the YAML of the objects as rendered, whenever it is read', () => {
    const env = renderAll(committedSources(), { readiness: false }).environments[0]!;
    const manifest = env.manifests[0]!;
    expect(env.files[0]!.name).toBe(manifest.name);
    expect(env.files[0]!.content).toBe(toYaml(manifest.objects));
  });
});
