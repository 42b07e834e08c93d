/**
 * bin/gravl.cjs runs the compiled bundle of main.ts, and a stale bundle never runs: any change to
 * a source rebuilds it before the command starts. Bundles are shared by content between trees
 * (node_modules/.cache/gravl): each copy of the project here has a node_modules of its own (links
 * to the project's packages) whose .cache is one folder of this file, never the project's.
 * Whether esbuild ran is observed, not assumed: the launcher runs with a preloaded module that
 * notes each time anything loads esbuild.
 *
 * The launcher under test is the project's own bin/gravl.cjs, copied into a miniature project of
 * the same layout (main.ts, lib/, imports/, the schema, package.json, the lockfile, tsconfig.json)
 * whose main.ts prints a help text. What the launcher does depends on the files, never on what the
 * bundle does, and a build of the miniature costs a hundredth of the project's (a dozen builds
 * here). The project's own bundle is built and run by every test that starts the real command
 * (test/support/cli.ts runSpawned).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { removedAfterAll } from '../support/cli';
import { ROOT } from '../support/render';

const dirs = removedAfterAll();
/** The shared cache of every copy below (their node_modules/.cache). */
const cache = dirs.make('launcher-cache');
const sharedEntries = () => (fs.existsSync(path.join(cache, 'gravl')) ? fs.readdirSync(path.join(cache, 'gravl')) : []).filter((name) => /^[0-9a-f]{64}$/.test(name));
/** Notes in the file $ESBUILD_LOADS each load of esbuild by the process it is preloaded into. */
const observer = path.join(cache, 'observe-esbuild.cjs');
fs.writeFileSync(
  observer,
  "const Module = require('node:module');\nconst fs = require('node:fs');\nconst load = Module._load;\n" +
    "Module._load = function (request, ...rest) {\n  if (request === 'esbuild') fs.appendFileSync(process.env.ESBUILD_LOADS, 'loaded\\n');\n  return load.call(this, request, ...rest);\n};\n",
);

/** The copies' node_modules: links to the project's packages, and .cache to this file's cache. */
const nodeModules = path.join(cache, 'node_modules');
fs.mkdirSync(nodeModules);
for (const entry of fs.readdirSync(path.join(ROOT, 'node_modules'))) {
  if (entry !== '.cache') fs.symlinkSync(path.join(ROOT, 'node_modules', entry), path.join(nodeModules, entry));
}
fs.symlinkSync(cache, path.join(nodeModules, '.cache'));

/** The miniature's sources: a help text in lib/cli/commands.ts, which the tests edit, printed by main.ts. */
const MINIATURE: Readonly<Record<string, string>> = {
  'main.ts': [
    "import { HELP } from './lib/cli/commands';",
    "import { PROJECT } from './lib/contract';",
    // A package of node_modules (links to the project's): the bundle holds it, as the project's holds its dependencies.
    "import { stringify } from 'yaml';",
    'const first = process.argv[2];',
    "if (first === '--help' || first === '-h' || first === 'help') process.stdout.write(`${PROJECT}\\n${HELP}${stringify({ bundled: 'yaml' })}`);",
    'else {',
    "  process.stderr.write(`unknown command: ${first}\\n`);",
    '  process.exitCode = 2;',
    '}',
    '',
  ].join('\n'),
  'lib/cli/commands.ts': [
    "export const HELP = [\"Gravl's Kubernetes manifests: render, review and judge them.\", '', 'Commands:', '  synth      render every environment', '  diff       compare with the base', ''].join('\\n');",
    '',
  ].join('\n'),
  'lib/contract.ts': "export const PROJECT = 'gravl (miniature)';\n",
  'imports/k8s.ts': 'export const API_VERSION = 1;\n',
  'environments/environment.schema.json': '{ "type": "object" }\n',
  'package.json': '{ "name": "gravl-miniature", "private": true }\n',
  'package-lock.json': '{ "name": "gravl-miniature", "lockfileVersion": 3, "packages": {} }\n',
  'tsconfig.json': '{ "compilerOptions": { "strict": true } }\n',
};

/** A fresh miniature project with the project's launcher, node_modules of links to the project's packages and the shared cache. */
function copyOfProject(): string {
  const copy = dirs.make('launcher');
  for (const [file, text] of Object.entries(MINIATURE)) {
    fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
    fs.writeFileSync(path.join(copy, file), text);
  }
  fs.mkdirSync(path.join(copy, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin', 'gravl.cjs'), path.join(copy, 'bin', 'gravl.cjs'));
  fs.symlinkSync(nodeModules, path.join(copy, 'node_modules'));
  return copy;
}

/** `gravl --help` in a copy, and whether esbuild was loaded to run it. */
function helpIn(copy: string): { status: number | null; stdout: string; stderr: string; esbuild: boolean } {
  const loads = path.join(copy, 'esbuild-loads');
  fs.rmSync(loads, { force: true });
  const run = spawnSync(process.execPath, ['--require', observer, path.join(copy, 'bin', 'gravl.cjs'), '--help'], { cwd: copy, encoding: 'utf8', env: { ...process.env, ESBUILD_LOADS: loads } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, esbuild: fs.existsSync(loads) };
}
const origin = (copy: string) => JSON.parse(fs.readFileSync(path.join(copy, '.build', 'stamp.json'), 'utf8')).origin;

const project = copyOfProject();
/** The shared cache's key of the project's sources as they are (set by the first build). */
let pristineKey = '';
const bundle = path.join(project, '.build', 'main.cjs');
const helpCache = path.join(project, '.build', 'code-cache', 'help.bin');

const help = () => spawnSync(process.execPath, [path.join(project, 'bin', 'gravl.cjs'), '--help'], { cwd: project, encoding: 'utf8' });

describe('bin/gravl.cjs', () => {
  it('builds the bundle on the first run, and reuses it while no source changes', () => {
    expect(fs.existsSync(bundle)).toBe(false);
    const first = helpIn(project);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('Commands:');
    expect(first.stdout).toContain('bundled: yaml\n');
    expect(fs.readFileSync(bundle, 'utf8')).toContain('node_modules/yaml/');
    expect(first.esbuild).toBe(true);
    expect(origin(project)).toBe('build');
    pristineKey = JSON.parse(fs.readFileSync(path.join(project, '.build', 'stamp.json'), 'utf8')).key;
    const built = fs.statSync(bundle).mtimeMs;
    expect(help().status).toBe(0);
    expect(fs.statSync(bundle).mtimeMs).toBe(built);
  });

  it("gives the key of a tree's sources, as the tree's own build stamps it, when required as a module, and runs no command then", () => {
    // Required (as promote does), not run: no command, no exit.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const launcher = require(path.join(project, 'bin', 'gravl.cjs')) as { contentKeyOf(root: string): string };
    expect(launcher.contentKeyOf(project)).toBe(pristineKey);
    const other = copyOfProject();
    fs.appendFileSync(path.join(other, 'lib', 'contract.ts'), '// another source\n');
    expect(launcher.contentKeyOf(other)).not.toBe(pristineKey);
    expect(() => launcher.contentKeyOf(path.join(other, 'missing'))).toThrow(/ENOENT/);
  });

  it("keeps V8's compiled code of a command after its first run, and runs over a damaged copy as if there were none, replacing it", () => {
    expect(help().status).toBe(0);
    const kept = fs.readFileSync(helpCache);
    expect(kept.length).toBeGreaterThan(1000);
    fs.writeFileSync(helpCache, 'not compiled code');
    const run = help();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Commands:');
    expect(fs.readFileSync(helpCache).length).toBeGreaterThan(1000);
  });

  describe('after a source changed (one rebuild, which both tests read: a build costs most of a second of CPU)', () => {
    /** The compiled code of --help made by the previous bundle, and the one run that rebuilt. */
    let stale: Buffer;
    let rebuilt: ReturnType<typeof helpIn>;
    beforeAll(() => {
      stale = fs.readFileSync(helpCache);
      // Compiled code of another command, also of the previous bundle.
      fs.writeFileSync(path.join(project, '.build', 'code-cache', 'synth.bin'), 'of the previous bundle');
      const file = path.join(project, 'lib', 'cli', 'commands.ts');
      fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("Gravl's Kubernetes manifests: render, review and judge them.", 'Changed since the last build.'));
      rebuilt = helpIn(project);
    });

    it('rebuilds before running when a source changed, so a stale build never runs', () => {
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(rebuilt.esbuild).toBe(true);
      expect(rebuilt.stdout).toContain('Changed since the last build.');
      expect(origin(project)).toBe('build');
    });

    it('drops the compiled code of the previous bundle when it rebuilds', () => {
      expect(rebuilt.status, rebuilt.stderr).toBe(0);
      expect(fs.existsSync(path.join(project, '.build', 'code-cache', 'synth.bin'))).toBe(false);
      expect(fs.readFileSync(helpCache).equals(stale)).toBe(false);
    });
  });

  it("fails with the compiler's message and no stack trace when a source does not compile, running nothing", () => {
    const file = path.join(project, 'lib', 'cli', 'commands.ts');
    fs.appendFileSync(file, '\nexport const broken = ;\n');
    const run = help();
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderr).toMatch(/commands\.ts:\d+:\d+/);
    expect(run.stderr).toContain('gravl: the sources do not compile (1 error(s) above); nothing was run');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('takes the bundle and its compiled code from the shared cache for another tree of the same sources, without running esbuild', () => {
    // The project's first run built the bundle of these sources, and its --help stored compiled code.
    const copy = copyOfProject();
    // Compiled code that is not the entry's (its header does not match): dropped, never handed to V8.
    const foreign = path.join(cache, 'gravl', pristineKey, 'code-cache', 'synth.bin');
    fs.writeFileSync(foreign, Buffer.concat([Buffer.alloc(32), fs.readFileSync(path.join(cache, 'gravl', pristineKey, 'code-cache', 'help.bin')).subarray(32)]));
    const run = helpIn(copy);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Commands:');
    expect(run.esbuild).toBe(false);
    expect(origin(copy)).toBe('cache');
    expect(JSON.parse(fs.readFileSync(path.join(copy, '.build', 'stamp.json'), 'utf8')).key).toBe(pristineKey);
    expect(fs.readFileSync(path.join(copy, '.build', 'main.cjs')).equals(fs.readFileSync(path.join(cache, 'gravl', pristineKey, 'main.cjs')))).toBe(true);
    expect(fs.statSync(path.join(copy, '.build', 'code-cache', 'help.bin')).size).toBeGreaterThan(1000);
    expect(fs.existsSync(path.join(copy, '.build', 'code-cache', 'synth.bin'))).toBe(false);
    expect(fs.existsSync(foreign)).toBe(false);
    // Its next run is the fast path: the stamp matches.
    const again = helpIn(copy);
    expect(again.status).toBe(0);
    expect(again.esbuild).toBe(false);
  });

  it('with --build-only makes the bundle current and runs no command; an exported variable of that name changes nothing', () => {
    const copy = copyOfProject();
    const run = spawnSync(process.execPath, [path.join(copy, 'bin', 'gravl.cjs'), '--build-only'], { cwd: copy, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toBe('');
    expect(fs.readFileSync(path.join(copy, '.build', 'main.cjs'), 'utf8')).toContain("Gravl's Kubernetes manifests: render, review and judge them.");
    expect(JSON.parse(fs.readFileSync(path.join(copy, '.build', 'stamp.json'), 'utf8')).key).toBe(pristineKey);
    // A command is never silenced by something in the environment.
    const withVariable = spawnSync(process.execPath, [path.join(copy, 'bin', 'gravl.cjs'), '--help'], { cwd: copy, encoding: 'utf8', env: { ...process.env, GRAVL_BUILD_ONLY: '1' } });
    expect(withVariable.stdout).toContain('Commands:');
  });

  it("never runs compiled code made from another bundle: V8 checks only the source's length", () => {
    const copy = copyOfProject();
    const first = helpIn(copy);
    expect(first.stdout).toContain('Commands:');
    const code = path.join(copy, '.build', 'code-cache', 'help.bin');
    expect(fs.existsSync(code)).toBe(true);
    // Another bundle of the same length (a source edit that keeps the size): the code of the first
    // would print the first's text.
    const file = path.join(copy, '.build', 'main.cjs');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toContain('Commands:');
    const other = text.replace('Commands:', 'Cxmmands:');
    expect(other.length).toBe(text.length);
    fs.rmSync(file);
    fs.writeFileSync(file, other);
    const run = spawnSync(process.execPath, [path.join(copy, 'bin', 'gravl.cjs'), '--help'], { cwd: copy, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Cxmmands:');
    expect(run.stdout).not.toContain('Commands:');
  });

  it('does not share a bundle whose sources changed while esbuild read them, and builds again on the next run', () => {
    const copy = copyOfProject();
    const file = path.join(copy, 'lib', 'cli', 'commands.ts');
    // Sources no bundle in the cache was made from, so that the run builds.
    fs.appendFileSync(path.join(copy, 'lib', 'contract.ts'), '\n// this copy only\n');
    const original = fs.readFileSync(file, 'utf8');
    // A save during the build: esbuild reads the edited file after the key was made of the original.
    const saver = path.join(copy, 'save-during-build.cjs');
    fs.writeFileSync(
      saver,
      "const Module = require('node:module');\nconst fs = require('node:fs');\nconst load = Module._load;\n" +
        "Module._load = function (request, ...rest) {\n  const loaded = load.call(this, request, ...rest);\n" +
        "  if (request !== 'esbuild') return loaded;\n" +
        `  return { ...loaded, buildSync: (options) => { fs.writeFileSync(${JSON.stringify(file)}, fs.readFileSync(${JSON.stringify(file)}, 'utf8').replace("Gravl's Kubernetes manifests", 'Saved during the build')); return loaded.buildSync(options); } };\n};\n`,
    );
    const before = new Set(sharedEntries());
    const run = spawnSync(process.execPath, ['--require', saver, path.join(copy, 'bin', 'gravl.cjs'), '--help'], { cwd: copy, encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Saved during the build');
    // Not stored under the key of the bytes before the save, nor stamped as current.
    expect(sharedEntries().filter((e) => !before.has(e))).toEqual([]);
    expect(JSON.parse(fs.readFileSync(path.join(copy, '.build', 'stamp.json'), 'utf8')).sources).toBe('changed while building');
    // The file back as it was: a tree of the original bytes never meets the other bundle.
    fs.writeFileSync(file, original);
    const next = helpIn(copy);
    expect(next.stdout).toContain("Gravl's Kubernetes manifests");
    expect(next.stdout).not.toContain('Saved during the build');
  });

  it('rebuilds when one byte of a source differs from every bundle in the cache, and keeps the newest eight bundles', () => {
    const copy = copyOfProject();
    const file = path.join(copy, 'lib', 'cli', 'commands.ts');
    // The same size: only the bytes tell the sources apart.
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("Gravl's Kubernetes manifests: render,", "Gravl's Kubernetes manifests: Render,"));
    // Older entries than any of this file's, to be pruned first.
    const old = new Date(Date.now() - 86_400_000);
    const stale = Array.from({ length: 8 }, (_, i) => path.join(cache, 'gravl', String(i).repeat(64)));
    for (const dir of stale) {
      fs.mkdirSync(dir);
      fs.writeFileSync(path.join(dir, 'manifest.json'), '{}');
      fs.utimesSync(path.join(dir, 'manifest.json'), old, old);
    }
    const before = sharedEntries().filter((e) => !stale.some((dir) => dir.endsWith(e)));
    const run = helpIn(copy);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("Gravl's Kubernetes manifests: Render,");
    expect(run.esbuild).toBe(true);
    expect(origin(copy)).toBe('build');
    const after = sharedEntries();
    expect(after).toHaveLength(8);
    expect(after).toEqual(expect.arrayContaining([...before, JSON.parse(fs.readFileSync(path.join(copy, '.build', 'stamp.json'), 'utf8')).key]));
  });

  it('rejects a damaged cache entry: the bundle is rebuilt and stored again, never run', () => {
    const pristine = copyOfProject();
    const key = pristineKey;
    const cached = path.join(cache, 'gravl', key, 'main.cjs');
    fs.writeFileSync(cached, fs.readFileSync(cached, 'utf8').replace('Commands:', 'Kommands:'));
    const run = helpIn(pristine);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Commands:');
    expect(run.stdout).not.toContain('Kommands:');
    expect(run.esbuild).toBe(true);
    expect(fs.readFileSync(cached, 'utf8')).not.toContain('Kommands:');
    // An entry cut short (no manifest) is no entry either (the copy's stamp removed, so that it looks again).
    fs.rmSync(path.join(cache, 'gravl', key, 'manifest.json'));
    fs.rmSync(path.join(pristine, '.build', 'stamp.json'));
    const partial = helpIn(pristine);
    expect(partial.status, partial.stderr).toBe(0);
    expect(partial.esbuild).toBe(true);
    expect(fs.existsSync(path.join(cache, 'gravl', key, 'manifest.json'))).toBe(true);
  });
});
