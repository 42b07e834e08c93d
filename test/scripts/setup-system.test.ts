/**
 * scripts/setup-system.sh, the one list of system tools the tests run. Where it cannot install
 * (no apt-get here), it must stop at once naming each missing tool and its install command.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, removedAfterAll } from '../support/cli';
import { ROOT } from '../support/render';

const SCRIPT = path.join(ROOT, 'scripts', 'setup-system.sh');
const temps = removedAfterAll();

/** A PATH holding only the named commands (links to the real ones): the rest are "missing", and so is apt-get. */
function pathWith(commands: readonly string[]): string {
  const dir = tempDir('path');
  temps.push(dir);
  for (const command of commands) {
    const real = spawnSync('bash', ['-c', `command -v ${command}`], { encoding: 'utf8' }).stdout.trim();
    expect(real, `${command} must exist on this machine for the test to hide the others`).not.toBe('');
    fs.symlinkSync(real, path.join(dir, command));
  }
  return dir;
}

describe('scripts/setup-system.sh', () => {
  it('does nothing and exits 0 when every tool is present', () => {
    const run = spawnSync('bash', [SCRIPT], { encoding: 'utf8' });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toBe('');
  });

  it('fails at once where it cannot install, naming each missing tool and the command that installs it', () => {
    const run = spawnSync('/bin/bash', [SCRIPT], { encoding: 'utf8', env: { PATH: pathWith(['id', 'sed', 'head', 'kubectl', 'dash', 'git']) } });
    expect(run.status).toBe(1);
    const missing = run.stderr.split('\n').filter((l) => l.startsWith('  ')).map((l) => l.trim().split(/\s+/)[0]);
    expect(missing).toEqual(['psql', 'promtool', 'amtool', 'prometheus-alertmanager', 'shellcheck', 'openssl', 'busybox', 'aws']);
    expect(run.stderr).toContain('install: apt-get install prometheus-alertmanager');
    expect(run.stderr).toContain('install: apt-get install postgresql-client');
  });

  it('is what npm test and CI run first', () => {
    const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.test).toMatch(/^bash scripts\/setup-system\.sh && /);
    expect(fs.readFileSync(path.join(ROOT, '.ci', 'run'), 'utf8')).toMatch(/^bash scripts\/setup-system\.sh$/m);
  });
});
