import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runMain, tempDir, treeDigest } from '../support/cli';
import { committedText, edit, ENVIRONMENTS_DIR } from '../support/render';

const temps: string[] = [];
function temp(prefix: string): string {
  const dir = tempDir(prefix);
  temps.push(dir);
  return dir;
}
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

/** An environments folder holding the given files. */
function environmentsWith(files: Record<string, string>): string {
  const dir = temp('envs');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('npm run synth', () => {
  it('fails bad input with exit 1 and one short line per problem, no stack trace, leaving the output exactly as it was', () => {
    const out = temp('out');
    const good = runMain(['synth', '--environments', ENVIRONMENTS_DIR, '--out', out]);
    expect(good.status, good.stderr).toBe(0);
    fs.writeFileSync(path.join(out, 'marker.txt'), 'left by hand\n');
    const before = treeDigest(out);

    const broken = edit(committedText('staging'), (doc) => {
      doc.setIn(['backend', 'resources', 'limits', 'memory'], 'lots');
      doc.setIn(['logging', 'loki', 'storage'], doc.createNode({ type: 'persistentVolumeClaim', storageClassName: 'standard', size: '5Gi' }));
    });
    const envs = environmentsWith({ 'staging.yaml': broken, 'production.yaml': committedText('production'), 'empty.yaml': '' });
    const bad = runMain(['synth', '--environments', envs, '--out', out]);

    expect(bad.status).toBe(1);
    const lines = bad.stderr.split('\n').filter((l) => l && !l.startsWith('npm warn'));
    expect(lines).toEqual([
      expect.stringMatching(/empty\.yaml: found an empty file, expected a mapping/),
      expect.stringMatching(/staging\.yaml:\d+:\d+: backend\.resources\.limits\.memory: found "lots", expected a memory or storage quantity/),
      expect.stringMatching(/staging\.yaml:\d+:\d+: logging\.loki\.storage\.storageClassName: found StorageClass "standard", which this cluster does not have/),
      'synth: 3 problem(s); nothing was written',
    ]);
    expect(bad.stderr).not.toMatch(/\n\s+at /);
    expect(treeDigest(out)).toEqual(before);
  });

  it('renders a new environment from a new file, with no code change', () => {
    // A preview cluster takes its secrets from a store: it needs no sealed values of its own.
    const preview = edit(
      committedText('staging')
        .replace('namespace: gravl-staging', 'namespace: gravl-preview')
        .replace('host: staging.gravl.app', 'host: preview.gravl.app'),
      (doc) => doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'gravl' }, refreshInterval: '1h', keyPrefix: 'gravl/preview' } })),
    );
    const envs = environmentsWith({ 'staging.yaml': committedText('staging'), 'preview.yaml': preview });
    const out = temp('out');
    const run = runMain(['synth', '--environments', envs, '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['argocd', 'preview', 'staging']);
    expect(fs.readdirSync(path.join(out, 'argocd')).sort()).toEqual(['gravl-preview.yaml', 'gravl-staging.yaml']);
    expect(fs.readFileSync(path.join(out, 'preview', '0000-namespaces.k8s.yaml'), 'utf8')).toContain('name: gravl-preview');
    expect(run.stdout).toMatch(/^preview\s+\d+ objects\s+\d+ files\s+\d+ ms/m);
    expect(run.stdout).toMatch(/^staging\s+\d+ objects\s+\d+ files\s+\d+ ms/m);
  });

  it('rejects a .yml file instead of skipping it', () => {
    const envs = environmentsWith({ 'staging.yaml': committedText('staging'), 'extra.yml': committedText('staging') });
    const run = runMain(['synth', '--environments', envs, '--out', temp('out')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('extra.yml: found a .yml file, expected the extension .yaml');
  });
});

describe('the output folder', () => {
  it('refuses to replace a folder that holds anything synth did not write', () => {
    const out = temp('out');
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const run = runMain(['synth', '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('holds notes.txt, which synth did not write');
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });
});
