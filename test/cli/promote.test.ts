/**
 * `npm run promote` in a temporary git repository holding this project, with real commits: the
 * environments as they are once ready (the controller's certificate fetched, every value sealed,
 * digests pinned: test/support/ready.ts), rendered, and staging's evidence committed as the
 * evidence commands would have written it on a cluster where everything went right
 * (test/support/evidence.ts: no cluster runs here). Each refusal is a commit on main (or off it)
 * that breaks one thing.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EnvironmentSource } from '../../lib/model/load';
import { blocking, otherGenerator, type RunningGenerator } from '../../lib/cli/promote';
import { renderAll, synth } from '../../lib/render/synth';
import { removedAfterAll, runMain, runSpawned, sourcesKey, tempDir } from '../support/cli';
import { writeEvidence } from '../support/evidence';
import { readySource } from '../support/ready';
import { committedText, edit, ROOT, sourceFor } from '../support/render';

let repo: string;
let good: string;
/** The ready environments of the good revision (sealed once: sealing is random). */
let sources: EnvironmentSource[];
afterAll(() => fs.rmSync(repo, { recursive: true, force: true }));

function git(...args: string[]): string {
  return execFileSync('git', ['-C', repo, ...args], { encoding: 'utf8' }).trim();
}

/** Writes the environment files, sealed values and certificates of the sources, and renders dist/ from them. */
async function writeEnvironments(sources: readonly EnvironmentSource[]): Promise<void> {
  for (const s of sources) {
    const name = path.basename(s.file, '.yaml');
    fs.writeFileSync(path.join(repo, s.file), s.text);
    if (s.sealedValues?.text) fs.writeFileSync(path.join(repo, 'secrets', name, 'sealed-values.yaml'), s.sealedValues.text);
    if (s.sealingCertificate?.text) fs.writeFileSync(path.join(repo, 'secrets', name, 'sealing-cert.pem'), s.sealingCertificate.text);
  }
  await synth(sources, path.join(repo, 'dist'));
}

/** Changes the working tree, commits the change on main, and returns the commit. */
async function commit(message: string, change: () => void | Promise<void>): Promise<string> {
  await change();
  // Blobs into one pack rather than a file each: the first commit holds the whole project.
  git('-c', 'core.bigFileThreshold=1', 'add', '-A');
  git('commit', '-q', '-m', message);
  return git('rev-parse', 'HEAD');
}

/** Every ref with its commit, and HEAD: what promote may not touch (but the production ref). */
function refs(): Record<string, string> {
  const out: Record<string, string> = { HEAD: git('symbolic-ref', 'HEAD') };
  for (const line of git('for-each-ref', '--format=%(refname) %(objectname)').split('\n').filter(Boolean)) {
    const [ref, oid] = line.split(' ');
    out[ref!] = oid!;
  }
  return out;
}

/** The launcher's key of the code these tests run (the project's sources). */
let key: string;
const promote = (...args: string[]) => runMain(['promote', 'production', '--repo', repo, ...args], { generatorKey: key });

beforeAll(async () => {
  key = sourcesKey();
  repo = tempDir('promote');
  // The project as committed (its working tree's files), in a repository of its own.
  const files = execFileSync('git', ['-C', ROOT, 'ls-files', '-z'], { encoding: 'utf8' }).split('\0').filter(Boolean);
  for (const file of files) {
    if (!fs.existsSync(path.join(ROOT, file))) continue;
    fs.mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(repo, file));
  }
  // The generator as this process runs it: lib/ and imports/ as they are, files git ignores or does
  // not track yet included (promote compares the revision's lib/ with the running one's).
  for (const dir of ['lib', 'imports']) fs.cpSync(path.join(ROOT, dir), path.join(repo, dir), { recursive: true });
  git('init', '-q', '--initial-branch', 'main');
  git('config', 'user.email', 'platform@gravl.app');
  git('config', 'user.name', 'Platform');
  sources = [readySource('staging'), readySource('production')];
  good = await commit('ready: certificate fetched, values sealed, digests pinned; staging evidence', async () => {
    git('add', '--force', '--all', '--', 'lib', 'imports');
    await writeEnvironments(sources);
    writeEvidence(renderAll([sources[0]!], { readiness: false }).environments[0]!, path.join(repo, 'evidence', 'staging'));
  });
}, 60_000);

describe('npm run promote', () => {
  it('rejects a command line without the environment, and an environment that is not promoted', async () => {
    const none = await runMain(['promote', '--repo', repo]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain('promote: found no environment, expected the one environment to promote to (such as production)');
    const staging = await runMain(['promote', 'staging', '--repo', repo]);
    expect(staging.status).toBe(1);
    expect(staging.stderr).toContain(`promote: environments/staging.yaml at ${good.slice(0, 12)}: gitops.promotedFrom: found nothing, so staging follows main directly`);
    expect(staging.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a working tree with uncommitted changes, naming them', async () => {
    fs.writeFileSync(path.join(repo, 'notes.txt'), 'draft\n');
    try {
      const run = await promote('--from', good);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('refused: the working tree has uncommitted changes (notes.txt): commit or stash them first');
      expect(run.stderr).toMatch(/promote: 1 reason\(s\); nothing was moved/);
    } finally {
      fs.rmSync(path.join(repo, 'notes.txt'));
    }
  });

  it('rejects a revision that is not on main', async () => {
    const off = git('commit-tree', `${good}^{tree}`, '-p', good, '-m', 'a commit on no branch of the mainline');
    const run = await promote('--from', off);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`refused: ${off.slice(0, 12)} is not on main: only a revision of the mainline, which staging has run, is promoted`);
  });

  it('rejects a revision whose staging gate has no evidence', async () => {
    const bare = await commit('staging evidence removed', () => fs.rmSync(path.join(repo, 'evidence'), { recursive: true }));
    const run = await promote('--from', bare);
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`refused: staging has no evidence for its gate: evidence/staging/ at ${bare.slice(0, 12)} does not exist and no --evidence DIR was given`);
    git('checkout', '-q', good, '--', 'evidence');
    await commit('staging evidence restored', () => undefined);
  });

  it('rejects a revision whose staging evidence is incomplete: READY is not GO', async () => {
    const partial = await commit('staging evidence: the load test only', () => {
      for (const entry of fs.readdirSync(path.join(repo, 'evidence', 'staging'))) if (entry !== 'k6.log') fs.rmSync(path.join(repo, 'evidence', 'staging', entry), { recursive: true });
    });
    const run = await promote('--from', partial);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`refused: staging is READY, not GO, at ${partial.slice(0, 12)} on evidence/staging/ at ${partial.slice(0, 12)}: a blocking criterion waits for runtime evidence or warns: RUNTIME `));
    expect(run.stderr).toMatch(/promote: 1 reason\(s\)/);
    git('checkout', '-q', good, '--', 'evidence');
    await commit('staging evidence restored', () => undefined);
  }, 30_000);

  it('rejects a revision whose dist/ is not what its sources render', async () => {
    const stale = await commit('staging: one more backend replica (dist/ not rendered)', () => {
      const file = path.join(repo, 'environments', 'staging.yaml');
      fs.writeFileSync(file, edit(fs.readFileSync(file, 'utf8'), (doc) => doc.setIn(['backend', 'replicas'], Number(doc.getIn(['backend', 'replicas'])) + 1)));
    });
    expect(git('show', '--stat', '--format=', stale)).toContain('environments/staging.yaml');
    const run = await promote('--from', stale);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`refused: dist/ at ${stale.slice(0, 12)} is stale: it is not what its sources render \\(dist/staging/[^)]*\\); run npm run synth and commit dist/`));
    // The stale revision is refused for that reason only: its gates pass on their own.
    expect(run.stderr).toMatch(/promote: 1 reason\(s\)/);
    git('checkout', '-q', good, '--', 'environments');
    await commit('staging: back to its backend replicas', () => undefined);
  }, 30_000);

  it("judges a revision whose generator is not the one running by the revision's own, run from a copy of it", async () => {
    // Generator code that renders otherwise, committed without rendering dist/: only the revision's
    // own generator sees that its dist/ is stale (the running one renders the committed dist/).
    const changed = await commit('kit: keep 6 old ReplicaSets (dist/ not rendered)', () => {
      const file = path.join(repo, 'lib', 'kit', 'pod-workload.ts');
      const text = fs.readFileSync(file, 'utf8');
      expect(text).toContain('revisionHistoryLimit: 5,');
      fs.writeFileSync(file, text.replace('revisionHistoryLimit: 5,', 'revisionHistoryLimit: 6,'));
    });
    const run = await promote('--from', changed, '--dry-run');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`judged by the generator at ${changed.slice(0, 12)}, run from a copy of the revision (its sources are not the running bundle's)`);
    expect(run.stdout).not.toContain('judged in this process');
    expect(run.stderr).toMatch(new RegExp(`refused: dist/ at ${changed.slice(0, 12)} is stale: it is not what its sources render \\(dist/production/[^)]*\\); run npm run synth and commit dist/`));
    expect(run.stderr).toMatch(/promote: 1 reason\(s\)/);
    git('checkout', '-q', good, '--', 'lib');
    await commit('kit: back to 5 old ReplicaSets', () => undefined);
    expect(git('diff', '--stat', good, 'HEAD')).toBe('');
  }, 30_000);

  it("judges a revision whose scripts differ by the revision's own generator, though its bundle is the running one's", async () => {
    // A job script is read as the commands run, not bundled: the same content key, another output.
    const changed = await commit('postgres: a comment in backup.sh (dist/ not rendered)', () => fs.appendFileSync(path.join(repo, 'lib', 'system', 'postgres', 'scripts', 'backup.sh'), '# a comment\n'));
    const run = await promote('--from', changed, '--dry-run');
    expect(run.status).toBe(1);
    expect(run.stdout).toContain(`judged by the generator at ${changed.slice(0, 12)}, run from a copy of the revision (lib/system/postgres/scripts/backup.sh differs)`);
    expect(run.stderr).toMatch(new RegExp(`refused: dist/ at ${changed.slice(0, 12)} is stale: it is not what its sources render`));
    git('checkout', '-q', good, '--', 'lib');
    await commit('postgres: backup.sh as it was', () => undefined);
    expect(git('diff', '--stat', good, 'HEAD')).toBe('');
  }, 30_000);

  it('rejects a revision on which staging is NO-GO on its evidence, or production is NO-GO, naming what fails', async () => {
    const rollout = path.join(repo, 'evidence', 'staging', 'rollout', 'gravl-staging.deployment.backend.json');
    const nogo = await commit('staging evidence: the backend rolled out another image; production: the stand-in certificate again', async () => {
      const o = JSON.parse(fs.readFileSync(rollout, 'utf8'));
      o.spec.template.spec.containers[0].image = 'registry.gravl.app/gravl/backend:1.4.1';
      fs.writeFileSync(rollout, JSON.stringify(o, null, 2));
      await writeEnvironments([sources[0]!, sourceFor('production', committedText('production'))]);
    });
    const run = await promote('--from', nogo);
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`refused: staging is NO-GO at ${nogo.slice(0, 12)} on evidence/staging/ at ${nogo.slice(0, 12)}: FAIL Application pods healthy`));
    expect(run.stderr).toMatch(new RegExp(`refused: production is NO-GO at ${nogo.slice(0, 12)}: FAIL `));
    expect(run.stderr).toMatch(/promote: 2 reason\(s\)/);
    await commit('staging evidence and production restored', async () => {
      git('checkout', '-q', good, '--', 'evidence');
      await writeEnvironments(sources);
    });
    expect(git('diff', '--stat', good, 'HEAD')).toBe('');
  }, 30_000);

  it('with --dry-run shows the promotion and what production receives, and moves nothing', async () => {
    const before = refs();
    const run = await promote('--from', good, '--dry-run');
    expect(run.status, run.stderr).toBe(0);
    // The revision's generator is this one (the project as committed): it judges in this process.
    expect(run.stdout).toContain(`judged in this process: the generator at ${good.slice(0, 12)} is the one running (the same content key as its bundle, the same lib/)`);
    expect(run.stdout).toContain(`staging: GO at ${good.slice(0, 12)} on evidence/staging/ at ${good.slice(0, 12)}`);
    expect(run.stdout).toMatch(/^production: READY/m);
    expect(run.stdout).toContain('What production receives');
    expect(run.stdout).toMatch(/\+ Deployment gravl-prod\/backend/);
    expect(run.stdout).toContain(`dry run: would move production from (new branch) to ${good.slice(0, 12)}; nothing was moved`);
    expect(run.stdout).toContain('then: git push origin production');
    expect(refs()).toEqual(before);
    expect(refs()['refs/heads/production']).toBeUndefined();
  }, 30_000);

  it('moves the production ref to a good revision of main, and nothing else; prints the git push, never pushes', () => {
    const before = refs();
    // The real process, end to end, once (the others run the command in this process).
    const run = runSpawned(['promote', 'production', '--repo', repo, '--from', good]);
    expect(run.status, run.stderr).toBe(0);
    // The real process's launcher vouches for its bundle's key (GRAVL_BUNDLE_KEY): the same generator judges here.
    expect(run.stdout).toContain(`judged in this process: the generator at ${good.slice(0, 12)} is the one running`);
    expect(run.stdout).toContain(`moved production from (new branch) to ${good.slice(0, 12)} (locally: nothing was pushed)`);
    expect(run.stdout).toContain('to deploy it, run: git push origin production');
    expect(refs()).toEqual({ ...before, 'refs/heads/production': good });
    expect(git('status', '--porcelain')).toBe('');
  }, 30_000);

  it('rolls back by promoting the previous revision, with a push that says so', async () => {
    const next = await commit('docs: a line (dist/ unchanged)', () => fs.appendFileSync(path.join(repo, 'README.md'), '\nA line.\n'));
    // An earlier promotion took production to the next revision.
    git('update-ref', 'refs/heads/production', next);
    const back = await promote('--from', good);
    expect(back.status, back.stderr).toBe(0);
    expect(back.stdout).toMatch(/^no change: every object of production is as rendered before$/m);
    expect(back.stdout).toContain(`moved production from ${next.slice(0, 12)} to ${good.slice(0, 12)} (back: a rollback)`);
    expect(back.stdout).toContain(`to deploy it, run: git push --force-with-lease=production:${next} origin production`);
    expect(git('rev-parse', 'refs/heads/production')).toBe(good);
  }, 30_000);

  it('rejects a commit of main that was never pushed: the reviewed mainline is the remote\'s', async () => {
    const remote = tempDir('promote-remote');
    try {
      execFileSync('git', ['init', '-q', '--bare', remote]);
      git('remote', 'add', 'origin', remote);
      git('push', '-q', 'origin', 'main');
      const local = await commit('docs: a line nobody reviewed', () => fs.appendFileSync(path.join(repo, 'README.md'), '\nUnreviewed.\n'));
      const run = await promote('--from', local);
      expect(run.status).toBe(1);
      expect(run.stderr).toContain(`refused: ${local.slice(0, 12)} is not on origin/main: only a revision of the mainline, which staging has run, is promoted`);
      // The environment's branch where the remote has it: behind it here, or not here at all (a
      // fresh clone), would compare with the wrong revision and print the wrong push.
      git('push', '-q', 'origin', 'main:refs/heads/production');
      git('fetch', '-q', 'origin');
      const before = git('rev-parse', 'refs/heads/production');
      try {
        git('update-ref', 'refs/heads/production', good);
        const behind = await promote('--from', good, '--dry-run');
        expect(behind.status).toBe(1);
        expect(behind.stderr).toContain(`refused: the branch production (${good.slice(0, 12)}) is not origin/production (${local.slice(0, 12)}), and no promotion here moved it from there: another promotion or rollback moved the remote's; run git fetch origin and git branch -f production origin/production first`);
        // A rollback promote made here from the remote's revision, not pushed yet: its push completes it.
        git('update-ref', 'refs/heads/production', local);
        git('update-ref', '-m', `promote: production to ${good.slice(0, 12)}`, 'refs/heads/production', good, local);
        // (A change in the working tree stops it before anything is rendered: only the branch is judged here.)
        fs.writeFileSync(path.join(repo, 'notes.txt'), 'draft\n');
        try {
          const rolledBack = await promote('--from', good, '--dry-run');
          expect(rolledBack.stderr).toContain('refused: the working tree has uncommitted changes (notes.txt)');
          expect(rolledBack.stderr).not.toContain('origin/production');
          expect(rolledBack.stderr).toMatch(/promote: 1 reason\(s\)/);
        } finally {
          fs.rmSync(path.join(repo, 'notes.txt'));
        }
        git('update-ref', '-d', 'refs/heads/production');
        const missing = await promote('--from', good, '--dry-run');
        expect(missing.status).toBe(1);
        expect(missing.stderr).toContain('refused: origin/production exists but the branch production does not here: run git fetch origin production:production first');
      } finally {
        git('update-ref', 'refs/heads/production', before);
      }
    } finally {
      git('remote', 'remove', 'origin');
      fs.rmSync(remote, { recursive: true, force: true });
    }
  });
});

describe('the reasons promote gives for a gate', () => {
  it('names every blocking criterion that keeps READY from GO, warnings as well as runtime ones, and only blocking ones', () => {
    const stdout = [
      'staging (dist/staging): READY  [16 PASS, 0 FAIL, 2 WARN, 1 RUNTIME]',
      '  PASS    blocking  TLS: the host under TLS',
      '  WARN    blocking  Sealing: values sealed for the controller\'s certificate (fetched from the cluster)',
      '           - the sealing certificate is a stand-in made by this project',
      '  RUNTIME blocking  Load test: defined with the signed-off thresholds, and passed',
      '  WARN    advisory  Something advisory: not blocking',
    ].join('\n');
    expect(blocking(stdout, ['RUNTIME', 'WARN'])).toBe(": WARN Sealing (the sealing certificate is a stand-in made by this project); RUNTIME Load test");
    expect(blocking(stdout, ['FAIL'])).toBe('');
  });
});

describe('whether the running generator judges a revision in its process', () => {
  const temps = removedAfterAll();
  const KEY = 'a'.repeat(64);
  /** The running generator of `root`, whose bundle has `key`; the launcher's key of a tree is `treeKey` (an Error: its sources cannot be read). */
  const generator = (root: string, key: string | undefined, treeKey: string | Error = KEY): RunningGenerator => ({
    root,
    key,
    keyOf: () => {
      if (treeKey instanceof Error) throw treeKey;
      return treeKey;
    },
    run: () => Promise.reject(new Error('not run here')),
  });

  /** A running project and a revision's tree with the same lib/ (a module and a job script); `edit` changes the tree. */
  function pair(edit: (tree: string) => void = () => undefined): [string, string] {
    const [running, tree] = [temps.make('generator-running'), temps.make('generator-tree')];
    for (const root of [running, tree]) {
      fs.mkdirSync(path.join(root, 'lib', 'system', 'postgres'), { recursive: true });
      fs.writeFileSync(path.join(root, 'lib', 'index.ts'), 'export const a = 1;\n');
      fs.writeFileSync(path.join(root, 'lib', 'system', 'postgres', 'backup.sh'), '#!/bin/sh\n');
    }
    edit(tree);
    return [running, tree];
  }

  it("judges here when the revision's sources have the running bundle's key and lib/ is the same bytes, whatever the inputs", () => {
    const [running, tree] = pair((t) => fs.writeFileSync(path.join(t, 'staging.yaml'), 'another input\n'));
    expect(otherGenerator(tree, generator(running, KEY))).toBeUndefined();
  });

  it("judges by the revision's own launcher when the running code is not a current bundle, or the revision's sources are of another key or cannot be read", () => {
    const [running, tree] = pair();
    expect(otherGenerator(tree, generator(running, undefined))).toBe('the running generator is not a bundle made from its sources as they are');
    expect(otherGenerator(tree, generator(running, KEY, 'b'.repeat(64)))).toBe("its sources are not the running bundle's");
    expect(otherGenerator(tree, generator(running, KEY, new Error('ENOENT: no such file, open tsconfig.json')))).toBe("its sources cannot be read as a bundle's: ENOENT: no such file, open tsconfig.json");
  });

  it("judges by the revision's own launcher when a file of lib/ differs, is there on one side only, or is a link", () => {
    const changed = pair((t) => fs.appendFileSync(path.join(t, 'lib', 'system', 'postgres', 'backup.sh'), 'exit 1\n'));
    expect(otherGenerator(changed[1], generator(changed[0], KEY))).toBe('lib/system/postgres/backup.sh differs');
    const extra = pair((t) => fs.writeFileSync(path.join(t, 'lib', 'notes.txt'), ''));
    expect(otherGenerator(extra[1], generator(extra[0], KEY))).toBe('lib/notes.txt differs');
    const linked = pair((t) => fs.symlinkSync(path.join(t, 'lib', 'index.ts'), path.join(t, 'lib', 'same.ts')));
    fs.symlinkSync(path.join(linked[0], 'lib', 'index.ts'), path.join(linked[0], 'lib', 'same.ts'));
    expect(otherGenerator(linked[1], generator(linked[0], KEY))).toBe('lib/ holds a link');
  });
});
