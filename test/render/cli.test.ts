import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain, runSpawned, treeDigest, removedAfterAll } from '../support/cli';
import { parseDocument } from 'yaml';
import { committedText, edit, ROOT } from '../support/render';

const temps = removedAfterAll();
const temp = (prefix: string): string => temps.make(prefix);

/** The committed environments rendered once by the real command; tests take copies of it. */
let rendered: string | undefined;
async function renderedCopy(): Promise<string> {
  if (!rendered) {
    rendered = path.join(temp('rendered'), 'dist');
    const run = await runMain(['synth', '--out', rendered]);
    expect(run.status, run.stderr).toBe(0);
  }
  const out = path.join(temp('out'), 'dist');
  fs.cpSync(rendered, out, { recursive: true });
  return out;
}

/** An environments folder holding the given files. */
function environmentsWith(files: Record<string, string>): string {
  const dir = temp('envs');
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe('npm run synth', () => {
  it('fails bad input with exit 1 and one short line per problem, no stack trace, leaving the output exactly as it was', async () => {
    const out = await renderedCopy();
    fs.writeFileSync(path.join(out, 'production', 'marker.txt'), 'left by hand\n');
    const before = treeDigest(out);

    const broken = edit(committedText('staging'), (doc) => {
      doc.setIn(['backend', 'resources', 'limits', 'memory'], 'lots');
      doc.setIn(['logging', 'loki', 'storage'], doc.createNode({ type: 'persistentVolumeClaim', storageClassName: 'standard', size: '5Gi' }));
    });
    const envs = environmentsWith({ 'staging.yaml': broken, 'production.yaml': committedText('production'), 'empty.yaml': '' });
    // The real process, end to end: what a user sees on a terminal, exit code included.
    const bad = runSpawned(['synth', '--environments', envs, '--out', out]);

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

  it('renders a new environment from a new file, with no code change', async () => {
    // A preview cluster takes its secrets from a store: it needs no sealed values of its own.
    const preview = edit(
      committedText('staging')
        .replaceAll('gravl-staging', 'gravl-preview')
        .replace('host: staging.gravl.app', 'host: preview.gravl.app'),
      (doc) => doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'gravl' }, refreshInterval: '1h', keyPrefix: 'gravl/preview' } })),
    );
    const envs = environmentsWith({ 'staging.yaml': committedText('staging'), 'preview.yaml': preview });
    const out = temp('out');
    const run = await runMain(['synth', '--environments', envs, '--out', out]);
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['argocd', 'preview', 'staging']);
    expect(fs.readdirSync(path.join(out, 'argocd')).sort()).toEqual(['gravl-preview-root.yaml', 'gravl-preview.yaml', 'gravl-staging-root.yaml', 'gravl-staging.yaml']);
    expect(fs.readFileSync(path.join(out, 'preview', '0000-namespaces.k8s.yaml'), 'utf8')).toContain('name: gravl-preview');
    expect(run.stdout).toMatch(/^preview\s+\d+ objects\s+\d+ files\s+\d+ ms/m);
    expect(run.stdout).toMatch(/^staging\s+\d+ objects\s+\d+ files\s+\d+ ms/m);
  });

  it('rejects a .yml file instead of skipping it', async () => {
    const envs = environmentsWith({ 'staging.yaml': committedText('staging'), 'extra.yml': committedText('staging') });
    const run = await runMain(['synth', '--environments', envs, '--out', temp('out')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('extra.yml: found a .yml file, expected the extension .yaml');
  });
});

describe('the output folder', () => {
  it('refuses to replace a folder that holds anything synth did not write', async () => {
    const out = temp('out');
    fs.writeFileSync(path.join(out, 'notes.txt'), 'mine\n');
    const run = await runMain(['synth', '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('holds notes.txt, which synth did not write');
    expect(fs.readdirSync(out)).toEqual(['notes.txt']);
  });
});

/** A secrets folder holding copies of the committed sealed values, with one key dropped per environment named. */
function secretsWithout(drop: Record<string, { namespace: string; name: string; key: string }>): string {
  const dir = temp('secrets');
  fs.cpSync(path.join(ROOT, 'secrets'), dir, { recursive: true });
  for (const [env, { namespace, name, key }] of Object.entries(drop)) {
    const file = path.join(dir, env, 'sealed-values.yaml');
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    doc.deleteIn([namespace, name, 'data', key]);
    fs.writeFileSync(file, doc.toString());
  }
  return dir;
}

describe('problems found while rendering', () => {
  it("reports the missing secrets of every environment at once, each with a seal command that names the secrets folder", async () => {
    const secrets = secretsWithout({
      production: { namespace: 'gravl-monitoring', name: 'grafana-admin', key: 'admin-password' },
      staging: { namespace: 'gravl-staging', name: 'gravl-db-credentials', key: 'password' },
    });
    const out = temp('out');
    const run = await runMain(['synth', '--secrets', secrets, '--out', path.join(out, 'dist')]);
    expect(run.status).toBe(1);
    const shown = path.relative(ROOT, secrets);
    expect(run.stderr).toContain(`npm run seal -- --secrets ${shown} --env production --namespace gravl-monitoring --name grafana-admin --key admin-password`);
    expect(run.stderr).toContain(`npm run seal -- --secrets ${shown} --env staging --namespace gravl-staging --name gravl-db-credentials --key password`);
    expect(run.stderr).toMatch(/synth: 2 problem\(s\); nothing was written/);
    expect(fs.readdirSync(out)).toEqual([]);
  });

  it('leaves dist/ byte-identical when the second environment fails after the first was written', async () => {
    const dist = await renderedCopy();
    const out = path.dirname(dist);
    const before = treeDigest(out);
    // production renders (and its files are written) first; staging then fails.
    const secrets = secretsWithout({ staging: { namespace: 'gravl-monitoring', name: 'grafana-admin', key: 'admin-user' } });
    const run = await runMain(['synth', '--secrets', secrets, '--out', dist]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('grafana-admin.data.admin-user');
    expect(run.stderr).not.toContain('production');
    // Nothing changed, and no staging folder was left beside it.
    expect(treeDigest(out)).toEqual(before);
  });

  it('uses the plain seal command when the secrets folder is the default', async () => {
    const envs = environmentsWith({ 'staging.yaml': committedText('staging').replaceAll('gravl-staging', 'gravl-other').replace('host: staging.gravl.app', 'host: other.gravl.app') });
    const run = await runMain(['synth', '--environments', envs, '--out', path.join(temp('out'), 'dist')]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('npm run seal -- --env staging --namespace gravl-other --name gravl-db-credentials');
  });
});

describe('paths named on the command line', () => {
  it.each([
    ['--environments', ['--environments', 'no-such-folder'], 'no-such-folder: --environments: found no such folder, expected the folder of environment files'],
    ['--secrets', ['--secrets', 'no-such-folder'], 'no-such-folder: --secrets: found no such folder, expected the folder of sealed values'],
    ['--out', ['--out', 'no-such-parent/dist'], 'no-such-parent: --out: found no such folder, expected an existing folder to hold dist/'],
  ])('names a missing %s folder plainly, with exit 1 and no stack trace', async (_option, args, message) => {
    const run = await runMain(['synth', ...args]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(message);
    expect(run.stderr).not.toMatch(/ENOENT|\n\s+at /);
  });

  it('names a file given where a folder is expected', async () => {
    const run = await runMain(['synth', '--environments', 'package.json']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('package.json: --environments: found a file, expected the folder of environment files');
  });
});

describe('an environment whose file is gone', () => {
  /** An output folder rendered from both committed environments, and an environments folder holding only staging. */
  async function stagingOnly(): Promise<{ out: string; envs: string }> {
    return { out: await renderedCopy(), envs: environmentsWith({ 'staging.yaml': committedText('staging') }) };
  }

  it('is not removed silently: synth refuses, says what would go and how to confirm, and writes nothing', async () => {
    const { out, envs } = await stagingOnly();
    const before = treeDigest(out);
    const run = await runMain(['synth', '--environments', envs, '--out', out]);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('production.yaml is gone, so synth would delete');
    expect(run.stderr).toContain('/production/ and');
    expect(run.stderr).toContain('argocd/gravl-production.yaml');
    expect(run.stderr).toContain("once that is merged, delete gravl-production-root and then gravl-production in that cluster's Argo CD, which prunes what it deployed but the namespaces and volumes (the root never prunes: docs/deploying.md, \"Removing an environment\")");
    expect(run.stderr).toContain('npm run synth -- --remove production');
    expect(run.stderr).toMatch(/synth: 1 problem\(s\); nothing was written/);
    expect(treeDigest(out)).toEqual(before);
  });

  it('is removed, with its Application, when --remove names it', async () => {
    const { out, envs } = await stagingOnly();
    const run = await runMain(['synth', '--environments', envs, '--out', out, '--remove', 'production']);
    expect(run.status, run.stderr).toBe(0);
    expect(fs.readdirSync(out).sort()).toEqual(['argocd', 'staging']);
    expect(fs.readdirSync(path.join(out, 'argocd')).sort()).toEqual(['gravl-staging-root.yaml', 'gravl-staging.yaml']);
    expect(run.stdout).toContain('removed');
  });

  it('rejects --remove of an environment whose file still exists, or that the output does not hold', async () => {
    const { out, envs } = await stagingOnly();
    const run = await runMain(['synth', '--environments', envs, '--out', out, '--remove', 'staging,preview']);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('--remove: found "staging", whose file');
    expect(run.stderr).toContain('--remove: found "preview", which');
  });
});
