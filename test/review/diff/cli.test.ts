import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain, treeDigest, removedAfterAll } from '../../support/cli';
import { literalPattern } from '../../support/text';
import { readTree, runDiff, treeOf } from '../../../lib/review/diff';
import { committedTag, committedText, committedValue, edit, renderTexts, ROOT } from '../../support/render';

const temps = removedAfterAll();
const temp = (prefix: string): string => temps.make(prefix);
/** Staging's backend replicas as the file says them today: a change is one more. */
const replicas = committedValue('staging', ['backend', 'replicas']) as number;

describe('npm run diff', () => {
  it('prints one line and exits 0 when the committed dist/ is current, and never writes dist/', async () => {
    const before = treeDigest(path.join(ROOT, 'dist'));
    const run = await runMain(['diff', '--exit-code']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('no change: every object of argocd, production, staging is as rendered before\n');
    expect(treeDigest(path.join(ROOT, 'dist'))).toEqual(before);
  });

  it('names the object and field of a change, flags a limit raised a lot, and writes a pull-request comment', () => {
    // In-process: the command renders the environments and compares them with dist/ exactly so.
    const head = treeOf(renderTexts({
      staging: edit(committedText('staging'), (doc) => doc.setIn(['backend', 'replicas'], replicas + 1)),
      production: edit(committedText('production'), (doc) => doc.setIn(['backend', 'resources', 'limits', 'memory'], '4Gi')),
    }));
    const base = readTree(path.join(ROOT, 'dist'));
    const text = runDiff({ head, base, production: new Set(['production']), format: 'text' });
    expect(text.differs).toBe(true);
    expect(text.output).toContain('~ Deployment gravl-staging/backend');
    expect(text.output).toContain(`spec.replicas: ${replicas} -> ${replicas + 1}`);
    expect(text.output).toMatch(/RISK/);
    expect(text.output).toMatch(/Deployment gravl-prod\/backend.*memory limit/i);
    const markdown = runDiff({ head, base, production: new Set(['production']), format: 'markdown' });
    expect(markdown.output).toMatch(/\| `staging` \| 0 \| 0 \| [1-9]\d* \|/);
    expect(markdown.output).toContain('<details>');
  });

  it('reads a release bump as the backend\'s change and one line for the objects only relabelled with the version', () => {
    // The release the file names today, and the next patch release.
    const from = committedTag('staging', 'backend');
    const to = from.replace(/\d+(?=\D*$)/, (n) => String(Number(n) + 1));
    expect(to).not.toBe(from);
    const head = treeOf(renderTexts({
      staging: committedText('staging').replace(`gravl/backend:${from}`, `gravl/backend:${to}`),
      production: committedText('production'),
    }));
    // The Applications are not rendered in memory here: compared without them.
    const base = new Map([...readTree(path.join(ROOT, 'dist'))].filter(([env]) => env !== 'argocd'));
    const text = runDiff({ head, base, production: new Set(['production']), format: 'text' }).output;
    const [f, t] = [literalPattern(from), literalPattern(to)];
    expect(text).toMatch(new RegExp(`^ {2}~ Deployment gravl-staging\\/backend\\n(.*\\n)*? {6}spec\\.template\\.spec\\.containers\\[backend\\]\\.image: .*backend:${f} -> .*backend:${t}$`, 'm'));
    expect(text).toMatch(new RegExp(`^ {2}~ \\d+ objects with only their app\\.kubernetes\\.io\\/version label changed, ${f} -> ${t} \\(Namespace gravl-staging, .*, and \\d+ more\\)$`, 'm'));
    expect(text).not.toMatch(/~ Namespace gravl-staging$/m);
    expect(text.split('\n').length).toBeLessThan(20);
    const markdown = runDiff({ head, base, production: new Set(['production']), format: 'markdown' }).output;
    expect(markdown).toMatch(new RegExp(`objects with only their app\\.kubernetes\\.io\\/version label changed, ${f} -\\\\?> ${t}`));
  });

  it('compares with dist/ at a git ref given with --base', async () => {
    // A repository whose only commit holds a dist/ in which the backend has 3 replicas more than the file says.
    const repo = temp('repo');
    const dist = path.join(repo, 'dist');
    fs.cpSync(path.join(ROOT, 'dist'), dist, { recursive: true });
    const backend = fs.readdirSync(path.join(dist, 'staging')).find((n) => n.endsWith('-backend.k8s.yaml'))!;
    const file = path.join(dist, 'staging', backend);
    const committed = fs.readFileSync(file, 'utf8');
    expect(committed).toContain(`  replicas: ${replicas}\n`);
    fs.writeFileSync(file, committed.replace(`  replicas: ${replicas}\n`, `  replicas: ${replicas + 3}\n`));
    const git = (...args: string[]) => execFileSync('git', args, { cwd: repo, encoding: 'utf8' });
    git('init', '-q');
    git('add', '.');
    git('-c', 'user.name=ci', '-c', 'user.email=ci@gravl.app', 'commit', '-q', '-m', 'base');
    const run = await runMain(['diff', '--dist', dist, '--base', 'HEAD']);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain(`spec.replicas: ${replicas + 3} -> ${replicas}`);
    // --exit-code: 1 when anything differs, for a CI step that must stop.
    const strict = await runMain(['diff', '--dist', dist, '--base', 'HEAD', '--exit-code']);
    expect(strict.status).toBe(1);
    expect(strict.stdout).toContain(`spec.replicas: ${replicas + 3} -> ${replicas}`);
    // Against dist/ on disk, the committed one: the change shows, and nothing more is said.
    const onDisk = await runMain(['diff', '--dist', dist], { cwd: repo });
    expect(onDisk.stdout).toContain(`spec.replicas: ${replicas + 3} -> ${replicas}`);
    expect(onDisk.stderr).toBe('');
    // A dist/ on disk that differs from the commit and from a fresh render (an edit after synth):
    // what differs from dist/ shows, and diff says where the whole change is.
    fs.appendFileSync(path.join(dist, 'staging', 'READINESS.md'), '\nedited\n');
    const partly = await runMain(['diff', '--dist', dist], { cwd: repo });
    expect(partly.stdout).toContain(`spec.replicas: ${replicas + 3} -> ${replicas}`);
    expect(partly.stderr).toContain('dist/ differs from the last commit (npm run synth has written it)');
    // Once synth has written the fresh render, dist/ on disk has no change left to show: diff says
    // where the change is to be seen.
    fs.cpSync(path.join(ROOT, 'dist'), dist, { recursive: true });
    const afterSynth = await runMain(['diff', '--dist', dist], { cwd: repo });
    expect(afterSynth.stdout).toMatch(/^no change/);
    expect(afterSynth.stderr).toBe('dist/ differs from the last commit (npm run synth has written it): to see the whole change against the commit: npm run diff -- --base HEAD\n');
    const elsewhere = await runMain(['diff', '--dist', dist], { cwd: ROOT });
    expect(elsewhere.stderr).toContain(`npm run diff -- --base HEAD --dist ${path.relative(ROOT, dist)}\n`);
  });
});

describe('the kustomization and the Argo CD Applications', () => {
  it('sees no change and no risk when a file is renumbered with the same objects', () => {
    const copy = temp('dist');
    fs.cpSync(path.join(ROOT, 'dist'), copy, { recursive: true });
    const dir = path.join(copy, 'staging');
    const from = fs.readdirSync(dir).find((n) => n.endsWith('-backend.k8s.yaml'))!;
    const to = from.replace(/^\d+/, '0099');
    fs.renameSync(path.join(dir, from), path.join(dir, to));
    const kustomization = path.join(dir, 'kustomization.yaml');
    fs.writeFileSync(kustomization, fs.readFileSync(kustomization, 'utf8').replace(from, to));
    const result = runDiff({ head: readTree(copy), base: readTree(path.join(ROOT, 'dist')), production: new Set(['production']), format: 'text' });
    expect(result).toEqual({ output: expect.stringMatching(/^no change/), differs: false, risky: false });
  });

  it('lists risky changes most severe first', () => {
    const copy = temp('dist');
    fs.cpSync(path.join(ROOT, 'dist'), copy, { recursive: true });
    // A medium one (an Application that stops pruning) in argocd/, which sorts first, and a high one in staging.
    const application = path.join(copy, 'argocd', 'gravl-staging.yaml');
    fs.writeFileSync(application, fs.readFileSync(application, 'utf8').replace('prune: true', 'prune: false'));
    const kustomization = path.join(copy, 'staging', 'kustomization.yaml');
    fs.writeFileSync(kustomization, fs.readFileSync(kustomization, 'utf8').replace(/^ {2}- 0002-network-policies\.k8s\.yaml\n/m, ''));
    const result = runDiff({ head: readTree(copy), base: readTree(path.join(ROOT, 'dist')), production: new Set(['production']), format: 'text' });
    const risks = result.output.split('\n').filter((l) => l.startsWith('  ! '));
    expect(risks.length).toBeGreaterThan(1);
    expect(risks[0]).toMatch(/\[high\]/);
    expect(risks.at(-1)).toMatch(/\[medium\].*prune/);
  });

  it('flags a file the kustomization stops listing, and an Application that stops pruning', () => {
    const copy = temp('dist');
    fs.cpSync(path.join(ROOT, 'dist'), copy, { recursive: true });
    const kustomization = path.join(copy, 'staging', 'kustomization.yaml');
    fs.writeFileSync(kustomization, fs.readFileSync(kustomization, 'utf8').replace(/^ {2}- 0002-network-policies\.k8s\.yaml\n/m, ''));
    const application = path.join(copy, 'argocd', 'gravl-staging.yaml');
    fs.writeFileSync(application, fs.readFileSync(application, 'utf8').replace('prune: true', 'prune: false'));
    // The committed dist/ is the head here: what a fresh render gives compared with the edited copy.
    const result = runDiff({ head: readTree(path.join(ROOT, 'dist')), base: readTree(copy), production: new Set(['production']), format: 'text' });
    expect(result.differs).toBe(true);
    const reversed = runDiff({ head: readTree(copy), base: readTree(path.join(ROOT, 'dist')), production: new Set(['production']), format: 'text' });
    expect(reversed.output).toMatch(/Kustomization kustomization: no longer applies network-policies\.k8s\.yaml/);
    expect(reversed.output).toMatch(/automated prune turned off/);
  });
});
