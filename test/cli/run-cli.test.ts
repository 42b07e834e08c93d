/**
 * runCli (lib/cli/main.ts): the commands as a function of the command line and of what a process
 * gives them. main.ts hands it the real process's; the tests run it in their own process (runMain)
 * and hold it here to the real process, and to leaving that process as it found it.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { spawnSync } from 'node:child_process';
import { optionsNpmKept, runCli, userFolder } from '../../lib/cli/main';
import { runMain, runSpawned, treeDigest, removedAfterAll, type Run } from '../support/cli';
import { ROOT } from '../support/render';

const temps = removedAfterAll();

/** A run's output with synth's per-environment timings (`  512 ms`, padded), which differ from run to run, blanked. */
const untimed = (run: Run): Run => ({ ...run, stdout: run.stdout.replace(/ +\d+ ms {2}->/g, ' N ms  ->') });

describe('runCli and the real process', () => {
  const empty = temps.make('empty');
  it.each([
    ['synth into a relative folder', ['synth', '--out', 'dist']],
    ['diff of the committed output', ['diff', '--exit-code']],
    ['readiness of every environment (NO-GO: exit 1)', ['readiness', '--date', '2026-12-01']],
    ['seal of a key nothing reads (a problem: exit 1)', ['seal', '--env', 'staging', '--namespace', 'gravl-staging', '--name', 'gravl-db-credentials', '--key', 'token', '--generate']],
    ['promote without its environment (exit 2)', ['promote']],
    ['readiness of a folder with nothing rendered (a failure: exit 1)', ['readiness', empty]],
    ['the help', ['--help']],
    ['an unknown option', ['diff', '--no-such-option']],
    ['an unknown command', ['deploy']],
  ])('gives the exit code, standard output and standard error the real process gives: %s', async (_case, args) => {
    // Each from its own working folder where it writes, so that both print the same relative paths.
    const writes = args[0] === 'synth';
    const [here, there] = writes ? [temps.make('in-process'), temps.make('spawned')] : [ROOT, ROOT];
    const spawned = runSpawned(args, { cwd: there });
    const inProcess = await runMain(args, { cwd: here });
    expect(untimed(inProcess)).toEqual(untimed(spawned));
    if (writes) {
      expect(spawned.status, spawned.stderr).toBe(0);
      expect(treeDigest(path.join(here, 'dist'))).toEqual(treeDigest(path.join(there, 'dist')));
    }
  });
});

describe('runCli', () => {
  it('leaves the process as it found it: no exit code, no listeners, no output of its own, the environment unchanged', async () => {
    const env = { ...process.env };
    const listeners = (['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const).map((e) => process.listenerCount(e));
    const streamListeners = [process.stdout.listenerCount('error'), process.stderr.listenerCount('error')];
    const spies = [
      vi.spyOn(process.stdout, 'write'),
      vi.spyOn(process.stderr, 'write'),
      vi.spyOn(console, 'log'),
      vi.spyOn(console, 'error'),
      vi.spyOn(process, 'exit').mockImplementation(() => {
        throw new Error('runCli called process.exit');
      }),
    ];
    // A code no command returns, so that any the CLI set would show (restored after).
    const exitCode = process.exitCode;
    process.exitCode = 7;
    const codes: number[] = [];
    let left: typeof process.exitCode;
    let calls: number[];
    try {
      // Every way out: a verdict (1), a wrong command line (2), a problem (1), a failure (1), success (0).
      for (const args of [['readiness', '--date', '2026-12-01'], ['readiness', '--no-such-option'], ['synth', '--environments', 'no-such-folder'], ['readiness', temps.make('empty')], ['--help']]) {
        const out: string[] = [];
        codes.push(await runCli(args, { cwd: ROOT, env: { ...process.env, GRAVL_DEBUG: '' }, stdout: (t) => void out.push(t), stderr: (t) => void out.push(t) }));
        expect(out.join('')).not.toBe('');
      }
    } finally {
      left = process.exitCode;
      process.exitCode = exitCode;
      calls = spies.map((spy) => spy.mock.calls.length);
      for (const spy of spies) spy.mockRestore();
    }
    expect(codes).toEqual([1, 2, 1, 1, 0]);
    expect(left).toBe(7);
    // Nothing written to the process's own streams, no console, no exit.
    expect(calls).toEqual([0, 0, 0, 0, 0]);
    expect((['exit', 'beforeExit', 'uncaughtException', 'unhandledRejection'] as const).map((e) => process.listenerCount(e))).toEqual(listeners);
    expect([process.stdout.listenerCount('error'), process.stderr.listenerCount('error')]).toEqual(streamListeners);
    expect(process.env).toEqual(env);
  });

  it("resolves the paths given on the command line against io's working folder, and shows paths relative to it", async () => {
    // This process's working folder is the repository root: another is taken from io alone.
    expect(process.cwd()).toBe(ROOT);
    const fromDist = await runMain(['readiness', 'staging', '--date', '2026-12-01'], { cwd: path.join(ROOT, 'dist') });
    expect(fromDist.stdout).toMatch(/^staging \(staging\): READY/m);
    expect(fromDist.status).toBe(3);
    const fromRoot = await runMain(['readiness', 'dist/staging', '--date', '2026-12-01']);
    expect(fromRoot.stdout).toMatch(/^staging \(dist\/staging\): READY/m);

    const elsewhere = temps.make('cwd');
    const missing = await runMain(['synth', '--environments', 'nowhere'], { cwd: elsewhere });
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/^nowhere: --environments: found no such folder/m);
    const k6 = await runMain(['readiness', path.join(ROOT, 'dist', 'staging'), '--k6-summary', 'k6.log'], { cwd: elsewhere });
    expect(k6.stderr).toMatch(/^k6\.log: --k6-summary: found no such file/m);
  });

  it("takes the project from io.root: the default environments/, secrets/ and dist/ are its, never this one's", async () => {
    // A project of production alone (as promote extracts a revision): its own files decide.
    const project = temps.make('project');
    for (const entry of ['lib', 'environments', 'secrets']) fs.cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true, preserveTimestamps: true });
    fs.rmSync(path.join(project, 'environments', 'staging.yaml'));
    fs.rmSync(path.join(project, 'secrets', 'staging'), { recursive: true });
    // Its schema's source newer than the schema: synth refreshes the project's schema, not this one's.
    const schemaFile = (root: string) => path.join(root, 'environments', 'environment.schema.json');
    const ours = fs.statSync(schemaFile(ROOT)).mtimeMs;
    const old = new Date('2000-01-01T00:00:00Z');
    fs.utimesSync(schemaFile(project), old, old);
    const rendered = await runMain(['synth', '--out', 'dist'], { cwd: project, root: project });
    expect(rendered.status, rendered.stderr).toBe(0);
    expect(fs.statSync(schemaFile(project)).mtimeMs).toBeGreaterThan(old.getTime());
    expect(fs.readFileSync(schemaFile(project), 'utf8')).toBe(fs.readFileSync(schemaFile(ROOT), 'utf8'));
    expect(fs.statSync(schemaFile(ROOT)).mtimeMs).toBe(ours);
    expect(rendered.stdout).toMatch(/^production .* -> dist\/production\/$/m);
    expect(rendered.stdout).not.toContain('staging');
    expect(fs.readdirSync(path.join(project, 'dist')).sort()).toEqual(['argocd', 'production']);
    // readiness without a folder judges the project's dist/, from any working folder.
    const judged = await runMain(['readiness', '--date', '2026-12-01'], { cwd: temps.make('elsewhere'), root: project });
    expect(judged.stdout).toMatch(/^production \(.*production\): /m);
    expect(judged.stdout).not.toMatch(/^staging /m);
  });

  it("takes the environment variables from io: CDK8S_OUTDIR against io's working folder, GRAVL_DEBUG", async () => {
    const dir = temps.make('cdk8s');
    const copied = await runMain(['synth', '--out', 'dist'], { cwd: dir, env: { CDK8S_OUTDIR: 'cdk8s.out' } });
    expect(copied.status, copied.stderr).toBe(0);
    expect(copied.stdout).toMatch(/^staging .* -> dist\/staging\/$/m);
    expect(treeDigest(path.join(dir, 'cdk8s.out'))).toEqual(treeDigest(path.join(dir, 'dist')));
    expect(process.env.CDK8S_OUTDIR).toBeUndefined();

    const empty = temps.make('empty');
    const plain = await runMain(['readiness', empty], { env: { GRAVL_DEBUG: '' } });
    expect(plain.stderr).toBe('readiness failed: found no rendered environment (a folder with kustomization.yaml): run npm run synth, or name dist/<env> (set GRAVL_DEBUG=1 for details)\n');
    const debug = await runMain(['readiness', empty], { env: { GRAVL_DEBUG: '1' } });
    expect(debug.status).toBe(1);
    expect(debug.stderr).toMatch(/^Error: found no rendered environment .*\n {4}at /);
  });

  it('reads standard input from io only, and only when the value is not generated', async () => {
    const secrets = temps.make('secrets');
    fs.mkdirSync(path.join(secrets, 'staging'));
    fs.copyFileSync(path.join(__dirname, '..', 'fixtures', 'sealing', 'cert.pem'), path.join(secrets, 'staging', 'sealing-cert.pem'));
    const seal = ['seal', '--env', 'staging', '--namespace', 'gravl-staging', '--name', 'gravl-db-credentials', '--secrets', secrets];
    let reads = 0;
    const io = (stdin: string) => ({
      cwd: ROOT,
      env: process.env,
      stdout: () => undefined,
      stderr: () => undefined,
      stdin: () => (reads++, Buffer.from(stdin)),
    });
    expect(await runCli([...seal, '--key', 'password'], io('a-value-long-enough-to-be-a-password-123\n'))).toBe(0);
    expect(reads).toBe(1);
    expect(await runCli([...seal, '--key', 'username', '--generate'], io('unread'))).toBe(0);
    expect(reads).toBe(1);
    const data = parse(fs.readFileSync(path.join(secrets, 'staging', 'sealed-values.yaml'), 'utf8'))['gravl-staging']['gravl-db-credentials'].data;
    expect([data.password.origin, data.username.origin]).toEqual(['provided', 'generated']);
  });
});

describe('run by npm', () => {
  /** `npm run --silent <args>` (npm on PATH, as the README's commands run), from `cwd`. */
  const npm = (args: readonly string[], cwd: string) => {
    const run = spawnSync('npm', ['run', '--silent', ...args], { cwd, encoding: 'utf8', timeout: 60_000 });
    return { status: run.status, stdout: run.stdout, stderr: run.stderr };
  };

  it("refuses an option npm kept for itself (no --), so that promote's --dry-run is never dropped, and runs nothing", async () => {
    const kept = await runMain(['promote', 'production'], { env: { npm_lifecycle_event: 'promote', npm_config_dry_run: 'true' } });
    expect(kept.status).toBe(2);
    expect(kept.stderr).toBe(
      "promote: npm took --dry-run as its own option and did not pass it on (npm_config_dry_run is set), so nothing was run: put -- before the command's arguments (npm run promote -- --dry-run ...); " +
        'where an .npmrc or an NPM_CONFIG_ variable sets it, run node bin/gravl.cjs promote ... instead\n',
    );
    expect(kept.stdout).toBe('');
    // The real npm, as a user types it: the options go to npm (with a value too), and the command sees the variables.
    const real = npm(['diff', '--exit-code', '--base=HEAD'], ROOT);
    expect(real.status).toBe(2);
    expect(real.stderr).toContain('diff: npm took --base, --exit-code as its own options and did not pass them on (npm_config_base, npm_config_exit_code are set), so nothing was run');
  });

  it('takes an option of the command npm runs as that script, whatever npm set it to, unless the command line has it; of npm\'s own settings, only --dry-run', () => {
    const env = { npm_lifecycle_event: 'diff', npm_config_exit_code: 'true', npm_config_base: 'HEAD~1', npm_config_format: 'markdown' };
    expect(optionsNpmKept('diff', ['base', 'format', 'exit-code'], [], env)).toEqual(['base', 'format', 'exit-code']);
    expect(optionsNpmKept('diff', ['base', 'format', 'exit-code'], ['--base=HEAD', '--exit-code', '--format', 'text'], env)).toEqual([]);
    // --no-tests: npm sets tests to false (an empty variable).
    expect(optionsNpmKept('bench', ['runs', 'no-tests'], [], { npm_lifecycle_event: 'bench', npm_config_tests: '' })).toEqual(['no-tests']);
    // npm's own settings come from an .npmrc too: a scope set there is nobody's seal option.
    const seal = ['env', 'namespace', 'name', 'key', 'scope'];
    expect(optionsNpmKept('seal', seal, [], { npm_lifecycle_event: 'seal', npm_config_scope: '@acme', npm_config_key: 'client.key', npm_config_name: 'x' })).toEqual([]);
    expect(optionsNpmKept('promote', ['dry-run'], [], { npm_lifecycle_event: 'promote', npm_config_dry_run: 'false' })).toEqual([]);
    // Another script (npm test running a test that runs diff) decides nothing.
    expect(optionsNpmKept('diff', ['base', 'format', 'exit-code'], [], { ...env, npm_lifecycle_event: 'test' })).toEqual([]);
  });

  it('resolves paths against the folder npm was run in, as a user means them', () => {
    const result = npm(['readiness', '--', 'staging', '--date', '2026-12-01'], path.join(ROOT, 'dist'));
    expect(result.stdout).toMatch(/^staging \(staging\): READY/m);
    expect(result.status).toBe(3);
    const script = { INIT_CWD: path.join(ROOT, 'dist'), npm_lifecycle_event: 'readiness', npm_package_json: path.join(ROOT, 'package.json') };
    expect(userFolder(['readiness', 'staging'], ROOT, script)).toBe(path.join(ROOT, 'dist'));
    // Not the script of this command, or not in its package's root: the process's own folder.
    expect(userFolder(['synth'], ROOT, script)).toBe(ROOT);
    expect(userFolder(['readiness'], ROOT, { ...script, npm_lifecycle_event: 'test' })).toBe(ROOT);
    expect(userFolder(['readiness'], path.join(ROOT, 'lib'), script)).toBe(path.join(ROOT, 'lib'));
    expect(userFolder(['readiness'], ROOT, { ...script, INIT_CWD: undefined })).toBe(ROOT);
  });
});
