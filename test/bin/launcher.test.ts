/**
 * bin/gravl.cjs runs the compiled bundle of main.ts, and a stale bundle never runs: any change to
 * a source rebuilds it before the command starts.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/cli';
import { ROOT } from '../support/render';

const project = tempDir('launcher');
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));
for (const entry of ['main.ts', 'bin', 'lib', 'imports', 'environments', 'package.json', 'package-lock.json', 'tsconfig.json']) {
  fs.cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
}
fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));
const bundle = path.join(project, '.build', 'main.cjs');
const helpCache = path.join(project, '.build', 'code-cache', 'help.bin');

const help = () => spawnSync(process.execPath, [path.join(project, 'bin', 'gravl.cjs'), '--help'], { cwd: project, encoding: 'utf8' });

describe('bin/gravl.cjs', () => {
  it('builds the bundle on the first run, and reuses it while no source changes', () => {
    expect(fs.existsSync(bundle)).toBe(false);
    const first = help();
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain('Commands:');
    const built = fs.statSync(bundle).mtimeMs;
    expect(help().status).toBe(0);
    expect(fs.statSync(bundle).mtimeMs).toBe(built);
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

  it('rebuilds before running when a source changed, so a stale build never runs', () => {
    const file = path.join(project, 'lib', 'cli', 'commands.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace("Gravl's Kubernetes manifests: render, review and judge them.", 'Changed since the last build.'));
    const run = help();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Changed since the last build.');
  });

  it('drops the compiled code of the previous bundle when it rebuilds', () => {
    const stale = fs.readFileSync(helpCache);
    const file = path.join(project, 'lib', 'cli', 'commands.ts');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('Changed since the last build.', 'Changed again.'));
    fs.writeFileSync(path.join(project, '.build', 'code-cache', 'synth.bin'), 'of the previous bundle');
    const run = help();
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('Changed again.');
    expect(fs.existsSync(path.join(project, '.build', 'code-cache', 'synth.bin'))).toBe(false);
    expect(fs.readFileSync(helpCache).equals(stale)).toBe(false);
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
});
