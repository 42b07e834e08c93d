/**
 * `npm run promote -- ENV`: moves the ref an environment's Argo CD Application follows (production
 * follows `production`) to a revision of the mainline whose gate passed, and only then. The gate is
 * the revision's own: its dist/ must be what its sources render, the environment it is promoted
 * from must be GO on runtime evidence, and its own output must not be NO-GO. The revision's
 * generator judges the revision (an older revision, for a rollback, by the code it was made with):
 * the revision is extracted into a temporary folder and its main.ts run there. When the revision's
 * generator is the one running this command (the usual case, promoting what one has checked out),
 * the running one judges the extracted tree in this process rather than starting four more: the
 * content key of the revision's sources (every source's bytes, the launcher's included, and Node's
 * and esbuild's versions, computed by the running launcher) is the key of the bundle running, which
 * the launcher vouches for only when it was made from the sources as they are, and every file of
 * lib/ (the scripts and other files the commands read as they run) is the same bytes in both.
 *
 * Nothing is pushed: the ref moves locally and the `git push` to run is printed.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parse } from 'yaml';
import { readTreeAtRef, runDiff, type Tree } from '../review/diff';
import { isRecord } from '../model/json';
import { GITOPS_DEFAULTS } from '../model/defaults';

export interface PromoteOptions {
  /** A folder of the git work tree holding the project. */
  readonly repo: string;
  /** The environment to promote to (environments/<name>.yaml at the revision). */
  readonly environment: string;
  /** The revision to promote. @default 'HEAD' */
  readonly from?: string;
  /** The gate environment's evidence folder (absolute). @default evidence/<gate>/ of the revision */
  readonly evidence?: string;
  /** Show everything, move nothing. */
  readonly dryRun: boolean;
  /** The node_modules the revision's main.ts runs with (the project's own). */
  readonly nodeModules: string;
  /** The working folder the user runs in: the evidence folder is shown relative to it. */
  readonly cwd: string;
  /** The environment variables the revision's commands run with. */
  readonly env: NodeJS.ProcessEnv;
  readonly print: (line: string) => void;
  /** The generator running this command, which judges a revision whose generator it is; none: always the revision's own launcher. */
  readonly generator?: RunningGenerator;
}

/** A command's exit code and output. */
export interface CommandRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** The generator running promote. */
export interface RunningGenerator {
  /** Its project folder (whose lib/ it reads files from as it runs). */
  readonly root: string;
  /**
   * The launcher's content key of the code running (bin/gravl.cjs: GRAVL_BUNDLE_KEY), when it is
   * made from the sources as they are; none: every revision is judged by its own launcher.
   */
  readonly key: string | undefined;
  /** The key the launcher of a tree gives its bundle, computed by the running launcher (its bytes are one of the sources: another launcher, another key); throws when a source cannot be read. */
  keyOf(tree: string): string;
  /** Runs one of its commands in this process on the project `tree` (its working folder and root), with `env`. */
  run(argv: readonly string[], tree: string, env: NodeJS.ProcessEnv): Promise<CommandRun>;
}

export interface PromoteResult {
  /** Why the promotion was refused; empty when it went ahead. */
  readonly refusals: readonly string[];
}

/** A refusal that stops before the slower checks (the command line itself is wrong). */
export class PromoteError extends Error {}

function git(repo: string, args: readonly string[]): { ok: boolean; out: string; err: string } {
  const r = spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw new PromoteError(`git could not run: ${r.error.message}`);
  return { ok: r.status === 0, out: r.stdout.trimEnd(), err: r.stderr.trim() };
}

const short = (commit: string) => commit.slice(0, 12);

/** A child process's exit code and output, run without blocking the others. */
function run(command: string, args: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<CommandRun> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.on('error', (e) => resolve({ code: null, stdout, stderr: e.message }));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Files below a folder, relative, sorted. */
function filesOf(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[])
    .filter((e) => e.isFile())
    .map((e) => path.relative(dir, path.join(e.parentPath, e.name)))
    .sort();
}

/** The files that differ between two folders (missing on either side, or other bytes). */
function differingFiles(a: string, b: string): string[] {
  const left = filesOf(a);
  const right = filesOf(b);
  const inLeft = new Set(left);
  const inRight = new Set(right);
  const all = [...new Set([...left, ...right])].sort();
  return all.filter((f) => !inLeft.has(f) || !inRight.has(f) || !fs.readFileSync(path.join(a, f)).equals(fs.readFileSync(path.join(b, f))));
}

/**
 * Why the running generator cannot judge the revision in `tree` in its process, or undefined when it
 * can: the revision's sources have the running bundle's content key, and every file of lib/ is the
 * same bytes in both (links and other special files are not compared: such a tree is judged by its
 * own launcher).
 */
export function otherGenerator(tree: string, generator: RunningGenerator): string | undefined {
  if (!generator.key) return 'the running generator is not a bundle made from its sources as they are';
  let key: string;
  try {
    key = generator.keyOf(tree);
  } catch (error) {
    return `its sources cannot be read as a bundle's: ${(error as Error).message}`;
  }
  if (key !== generator.key) return 'its sources are not the running bundle\'s';
  const lib = [tree, generator.root].map((root) => path.join(root, 'lib'));
  if (lib.some((dir) => (fs.readdirSync(dir, { recursive: true, withFileTypes: true }) as fs.Dirent[]).some((e) => !e.isFile() && !e.isDirectory()))) return 'lib/ holds a link';
  const differing = differingFiles(lib[0]!, lib[1]!);
  return differing.length > 0 ? `lib/${differing[0]} differs` : undefined;
}

/** The gitops section of an environment file at a revision, or why it cannot be read. */
function gitopsAt(repo: string, commit: string, environment: string): Record<string, unknown> | string {
  const file = `environments/${environment}.yaml`;
  const shown = git(repo, ['show', `${commit}:${file}`]);
  if (!shown.ok) return `${file} does not exist at ${short(commit)}: expected the file of the environment to promote to`;
  let spec: unknown;
  try {
    spec = parse(shown.out);
  } catch (error) {
    return `${file} at ${short(commit)} is not valid YAML (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
  const gitops = isRecord(spec) ? spec.gitops : undefined;
  return isRecord(gitops) ? gitops : `${file} at ${short(commit)}: gitops: found nothing, expected the section that names the ref the environment follows`;
}

/** The remote whose URL is the repository Argo CD reads, or `origin`. */
function remoteFor(repo: string, repoURL: string): string {
  const remotes = git(repo, ['remote']).out.split('\n').filter(Boolean);
  return remotes.find((r) => git(repo, ['remote', 'get-url', r]).out === repoURL) ?? 'origin';
}

/** What blocks a verdict, from a readiness report: each blocking criterion of that status with its first line of evidence. */
export function blocking(stdout: string, statuses: readonly ('FAIL' | 'RUNTIME' | 'WARN')[]): string {
  const lines = stdout.split('\n');
  const found: string[] = [];
  lines.forEach((line, i) => {
    const m = new RegExp(`^ {2}(${statuses.join('|')})\\s+blocking\\s+([^:]+)`).exec(line);
    if (!m) return;
    const detail = lines.slice(i + 1).find((l) => /^\s+- /.test(l) || /^ {2}\S/.test(l));
    found.push(`${m[1]} ${m[2]!.trim()}${detail && /^\s+- /.test(detail) ? ` (${detail.trim().slice(2)})` : ''}`);
  });
  return found.length ? `: ${found.slice(0, 6).join('; ')}${found.length > 6 ? `; and ${found.length - 6} more` : ''}` : '';
}

/**
 * Whether the local branch was last moved by promote from the remote's revision: a promotion (or a
 * rollback) made here and not pushed yet, which its printed push completes.
 */
function unpushedPromotion(root: string, ref: string, remoteCommit: string): boolean {
  const last = git(root, ['reflog', '-1', '--format=%gs', `refs/heads/${ref}`]);
  const before = git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${ref}@{1}`]);
  return last.ok && last.out.startsWith('promote: ') && before.ok && before.out === remoteCommit;
}

/**
 * Promotes a revision to an environment, or says why not. Throws PromoteError when the command
 * line names no revision, or git cannot run; every refusal of the gate is in the result.
 */
export async function promote(options: PromoteOptions): Promise<PromoteResult> {
  const { repo, environment, print } = options;
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(environment)) throw new PromoteError(`ENV: found ${JSON.stringify(environment)}, expected an environment name such as production`);
  const top = git(repo, ['rev-parse', '--show-toplevel']);
  if (!top.ok) throw new PromoteError(`--repo: ${repo} is not in a git repository`);
  const root = top.out;
  const from = options.from ?? 'HEAD';
  const resolved = git(root, ['rev-parse', '--verify', '--quiet', `${from}^{commit}`]);
  if (!resolved.ok) throw new PromoteError(`--from: found ${JSON.stringify(from)}, which is no commit of this repository`);
  const commit = resolved.out;
  const gitops = gitopsAt(root, commit, environment);
  if (typeof gitops === 'string') throw new PromoteError(gitops);
  const gate = typeof gitops.promotedFrom === 'string' ? gitops.promotedFrom : undefined;
  const ref = typeof gitops.targetRevision === 'string' ? gitops.targetRevision : GITOPS_DEFAULTS.targetRevision;
  const mainline = typeof gitops.mainline === 'string' ? gitops.mainline : GITOPS_DEFAULTS.mainline;
  const repoURL = typeof gitops.repoURL === 'string' ? gitops.repoURL : '';
  if (!gate) throw new PromoteError(`environments/${environment}.yaml at ${short(commit)}: gitops.promotedFrom: found nothing, so ${environment} follows ${ref} directly; expected the environment whose gate it is promoted from (such as staging)`);
  if (ref === mainline) throw new PromoteError(`environments/${environment}.yaml at ${short(commit)}: gitops.targetRevision: found ${JSON.stringify(ref)}, the mainline; expected a ref only promotion moves`);
  print(`promote ${short(commit)} (${from}) to ${environment}: gate ${gate}, ref ${ref}, mainline ${mainline}`);

  // Quick refusals first: when one holds, the revision is not rendered at all.
  const refusals: string[] = [];
  const status = git(root, ['status', '--porcelain', '--untracked-files=normal']);
  if (status.out !== '') {
    const changed = status.out.split('\n').map((l) => l.slice(3));
    refusals.push(`the working tree has uncommitted changes (${changed.slice(0, 5).join(', ')}${changed.length > 5 ? `, and ${changed.length - 5} more` : ''}): commit or stash them first`);
  }
  const remote = remoteFor(root, repoURL);
  // The reviewed mainline is the remote's where this clone has it; an unpushed commit is not on it.
  const remoteMainline = `refs/remotes/${remote}/${mainline}`;
  const mainlineRef = git(root, ['rev-parse', '--verify', '--quiet', remoteMainline]).ok ? remoteMainline : `refs/heads/${mainline}`;
  if (!git(root, ['rev-parse', '--verify', '--quiet', mainlineRef]).ok) refusals.push(`there is no branch ${mainline} (the mainline) to promote from`);
  else if (!git(root, ['merge-base', '--is-ancestor', commit, mainlineRef]).ok) refusals.push(`${short(commit)} is not on ${mainlineRef.replace(/^refs\/(heads|remotes)\//, '')}: only a revision of the mainline, which ${gate} has run, is promoted`);
  // The ref as the remote has it, where this clone knows it: a clone that never had the branch, or
  // had it before another promotion, would compare with the wrong revision and print the wrong push.
  const remoteRef = git(root, ['rev-parse', '--verify', '--quiet', `refs/remotes/${remote}/${ref}^{commit}`]);
  const localRef = git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`]);
  if (remoteRef.ok && !localRef.ok) refusals.push(`${remote}/${ref} exists but the branch ${ref} does not here: run git fetch ${remote} ${ref}:${ref} first (promote compares with it and moves it)`);
  else if (remoteRef.ok && remoteRef.out !== localRef.out && !unpushedPromotion(root, ref, remoteRef.out)) {
    // Not a promotion of this clone waiting for its push (forward or back): the remote moved.
    refusals.push(`the branch ${ref} (${short(localRef.out)}) is not ${remote}/${ref} (${short(remoteRef.out)}), and no promotion here moved it from there: another promotion or rollback moved the remote's; run git fetch ${remote} and git branch -f ${ref} ${remote}/${ref} first`);
  }
  const evidenceShown = options.evidence ? path.relative(options.cwd, options.evidence) || '.' : `evidence/${gate}/ at ${short(commit)}`;
  const committedEvidence = git(root, ['cat-file', '-e', `${commit}:evidence/${gate}`]).ok;
  if (options.evidence ? !fs.existsSync(options.evidence) : !committedEvidence) {
    refusals.push(`${gate} has no evidence for its gate: ${options.evidence ? `${evidenceShown} does not exist` : `${evidenceShown} does not exist and no --evidence DIR was given`}; ${gate} must be GO on the evidence of this revision running there (docs/readiness.md)`);
  }
  if (refusals.length > 0) return { refusals };

  // The revision as committed, judged by its own generator.
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'gravl-promote-'));
  try {
    const tree = path.join(work, 'revision');
    fs.mkdirSync(tree);
    // Everything the generator may read, without its tests and docs (a third of the files: each file
    // written costs, and they are no input of any command).
    const archive = spawnSync('git', ['-C', root, 'archive', '--format=tar', commit, '--', '.', ':(exclude)test', ':(exclude)docs'], { maxBuffer: 1024 * 1024 * 1024 });
    if (archive.status !== 0) throw new PromoteError(`git archive ${short(commit)} failed: ${archive.stderr.toString().trim()}`);
    const untar = spawnSync('tar', ['-x', '-C', tree], { input: archive.stdout });
    if (untar.status !== 0) throw new PromoteError(`could not extract ${short(commit)}: ${untar.stderr.toString().trim()}`);
    const evidence = options.evidence ?? path.join(tree, 'evidence', gate);
    // The revision's commands run with the user's environment, without debug output (its stderr is quoted in refusals).
    const env = { ...options.env, GRAVL_DEBUG: '' };
    const commands = [['synth', '--out', path.join(work, 'fresh')], ['readiness', `dist/${gate}`, '--evidence', evidence], ['readiness', `dist/${environment}`]];
    fs.symlinkSync(options.nodeModules, path.join(tree, 'node_modules'), 'dir');
    // The revision's own launcher where it has one (it compiles that revision's sources), else its main.ts through tsx.
    const main = fs.existsSync(path.join(tree, 'bin', 'gravl.cjs')) ? [path.join('bin', 'gravl.cjs')] : ['--import', 'tsx', 'main.ts'];
    const generator = options.generator;
    const other = !generator ? 'no running generator was given' : main.length !== 1 ? 'it has no launcher, bin/gravl.cjs' : otherGenerator(tree, generator);
    let runs: CommandRun[];
    if (generator && other === undefined) {
      print(`judged in this process: the generator at ${short(commit)} is the one running (the same content key as its bundle, the same lib/)`);
      runs = [];
      for (const argv of commands) runs.push(await generator.run(argv, tree, env));
    } else {
      print(`judged by the generator at ${short(commit)}, run from a copy of the revision (${other})`);
      // The launcher compiles the revision on its first run: once, before the three runs share it
      // (`--build-only`: a launcher that knows it builds and runs no command; an older one builds,
      // then refuses the unknown option without rendering anything).
      if (main.length === 1) await run(process.execPath, [...main, '--build-only'], tree, env);
      runs = await Promise.all(commands.map((argv) => run(process.execPath, [...main, ...argv], tree, env)));
    }
    const [synth, gateReadiness, ownReadiness] = runs as [CommandRun, CommandRun, CommandRun];
    if (synth.code !== 0) refusals.push(`the sources at ${short(commit)} do not render: ${synth.stderr.trim().split('\n').slice(-2).join(' ')}`);
    else {
      const stale = differingFiles(path.join(tree, 'dist'), path.join(work, 'fresh'));
      if (stale.length > 0) refusals.push(`dist/ at ${short(commit)} is stale: it is not what its sources render (${stale.slice(0, 5).map((f) => `dist/${f}`).join(', ')}${stale.length > 5 ? `, and ${stale.length - 5} more` : ''}); run npm run synth and commit dist/`);
    }
    if (gateReadiness.code === 3) refusals.push(`${gate} is READY, not GO, at ${short(commit)} on ${evidenceShown}: a blocking criterion waits for runtime evidence or warns${blocking(gateReadiness.stdout, ['RUNTIME', 'WARN'])}`);
    else if (gateReadiness.code === 1) refusals.push(`${gate} is NO-GO at ${short(commit)}${gateReadiness.stdout ? ` on ${evidenceShown}` : ''}${blocking(gateReadiness.stdout, ['FAIL'])}${gateReadiness.stdout ? '' : `: ${gateReadiness.stderr.trim().split('\n').at(-1)}`}`);
    else if (gateReadiness.code !== 0) refusals.push(`the readiness of ${gate} could not be judged at ${short(commit)}: ${gateReadiness.stderr.trim().split('\n').at(-1) ?? `exit ${String(gateReadiness.code)}`}`);
    else print(`${gate}: GO at ${short(commit)} on ${evidenceShown}`);
    if (ownReadiness.code === 1) refusals.push(`${environment} is NO-GO at ${short(commit)}${blocking(ownReadiness.stdout, ['FAIL'])}${ownReadiness.stdout ? '' : `: ${ownReadiness.stderr.trim().split('\n').at(-1)}`}`);
    else if (ownReadiness.code !== 0 && ownReadiness.code !== 3) refusals.push(`the readiness of ${environment} could not be judged at ${short(commit)}: ${ownReadiness.stderr.trim().split('\n').at(-1) ?? `exit ${String(ownReadiness.code)}`}`);
    else print(`${environment}: ${ownReadiness.code === 0 ? 'GO' : 'READY (its runtime evidence comes once it runs)'} at ${short(commit)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
  if (refusals.length > 0) return { refusals };

  // What the environment receives: its dist/ at the ref now, against the revision's.
  const current = git(root, ['rev-parse', '--verify', '--quiet', `refs/heads/${ref}^{commit}`]);
  const old = current.ok ? current.out : undefined;
  if (old === commit) {
    print(`${ref} is at ${short(commit)} already: nothing to move`);
    return { refusals };
  }
  const only = (tree: Tree): Tree => new Map([...tree].filter(([env]) => env === environment));
  const base: Tree = old ? only(readTreeAtRef(root, old)) : new Map();
  const head = only(readTreeAtRef(root, commit));
  print('');
  print(`What ${environment} receives (npm run diff -- --base ${old ? short(old) : '(nothing: the first promotion)'}, at ${short(commit)}):`);
  const diff = runDiff({ head, base, production: new Set([environment]), format: 'text' });
  for (const line of diff.output.trimEnd().split('\n')) print(line);
  print('');

  const forward = !old || git(root, ['merge-base', '--is-ancestor', old, commit]).ok;
  const push = forward ? `git push ${remote} ${ref}` : `git push --force-with-lease=${ref}:${old} ${remote} ${ref}`;
  const move = `${ref} from ${old ? short(old) : '(new branch)'} to ${short(commit)}${forward ? '' : ' (back: a rollback)'}`;
  if (options.dryRun) {
    print(`dry run: would move ${move}; nothing was moved`);
    print(`then: ${push}`);
    return { refusals };
  }
  const updated = git(root, ['update-ref', '-m', `promote: ${environment} to ${short(commit)}`, `refs/heads/${ref}`, commit, old ?? '']);
  if (!updated.ok) throw new PromoteError(`could not move ${ref}: ${updated.err}`);
  print(`moved ${move} (locally: nothing was pushed)`);
  print(`to deploy it, run: ${push}`);
  return { refusals };
}
