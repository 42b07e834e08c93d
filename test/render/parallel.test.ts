/**
 * Synth on every core (lib/render/parallel.ts), through the command as users run it: the threads
 * take environments in turn, and what is written, printed or refused is exactly what a synth on
 * one thread writes, prints or refuses (GRAVL_THREADS sets the number of threads).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { runMain, runSpawned, treeDigest, removedAfterAll } from '../support/cli';
import { committedText, ROOT } from '../support/render';

const temps = removedAfterAll();
const temp = (prefix: string): string => temps.make(prefix);

/** The committed environments and copies of staging (own namespace, host and sealed values), with a sealed key dropped where named. */
function environments(copies: readonly string[], drop: Record<string, string> = {}): { envs: string; secrets: string } {
  const envs = temp('envs');
  const secrets = temp('secrets');
  fs.cpSync(path.join(ROOT, 'secrets'), secrets, { recursive: true });
  for (const name of ['staging', 'production']) fs.writeFileSync(path.join(envs, `${name}.yaml`), committedText(name));
  const sealed = fs.readFileSync(path.join(ROOT, 'secrets', 'staging', 'sealed-values.yaml'), 'utf8');
  for (const name of copies) {
    fs.writeFileSync(path.join(envs, `${name}.yaml`), committedText('staging').replaceAll('gravl-staging', `gravl-${name}`).replace(/^host: .*$/m, `host: ${name}.gravl.app`));
    fs.mkdirSync(path.join(secrets, name));
    fs.writeFileSync(path.join(secrets, name, 'sealed-values.yaml'), sealed.replace(/^gravl-staging:$/m, `gravl-${name}:`));
  }
  for (const [name, key] of Object.entries(drop)) {
    const file = path.join(secrets, name, 'sealed-values.yaml');
    const doc = parseDocument(fs.readFileSync(file, 'utf8'));
    doc.deleteIn(['gravl-monitoring', 'grafana-admin', 'data', key]);
    fs.writeFileSync(file, doc.toString());
  }
  return { envs, secrets };
}

/** Synth on one thread: in this process (from the sources, where synth never starts workers). */
const synthOnOne = (envs: string, secrets: string, out: string) => runMain(['synth', '--environments', envs, '--secrets', secrets, '--out', out]);
/** Synth on `threads` threads: the real process, which runs the compiled bundle its workers run too. */
const synth = (threads: number, envs: string, secrets: string, out: string) =>
  runSpawned(['synth', '--environments', envs, '--secrets', secrets, '--out', out], { env: { GRAVL_THREADS: String(threads) } });

describe('synth on two threads', () => {
  it('writes byte for byte what synth on one thread writes, and lists the environments in name order', async () => {
    const { envs, secrets } = environments(['blue', 'green', 'tenant-a']);
    const [one, two] = [temp('one'), temp('two')].map((d) => path.join(d, 'dist'));
    const runOne = await synthOnOne(envs, secrets, one!);
    const runTwo = synth(2, envs, secrets, two!);
    expect(runOne.status, runOne.stderr).toBe(0);
    expect(runTwo.status, runTwo.stderr).toBe(0);
    const digest = treeDigest(two!);
    expect(digest).toEqual(treeDigest(one!));
    expect(Object.keys(digest).filter((f) => f.endsWith('READINESS.md')).sort()).toEqual(['blue', 'green', 'production', 'staging', 'tenant-a'].map((e) => path.join(e, 'READINESS.md')));
    expect(fs.readdirSync(path.join(two!, 'argocd')).length).toBe(10);
    expect(runTwo.stdout.split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0])).toEqual(['blue', 'green', 'production', 'staging', 'tenant-a']);
  });

  it('fails with the problems of every environment in environment order, whichever thread found them, and writes nothing', async () => {
    // Every environment fails, so that the worker, however late it starts, finds problems too.
    const { envs, secrets } = environments(['blue', 'green', 'tenant-a'], { blue: 'admin-user', green: 'admin-password', production: 'admin-user', staging: 'admin-password', 'tenant-a': 'admin-user' });
    const [one, two] = [temp('one'), temp('two')];
    const runOne = await synthOnOne(envs, secrets, path.join(one, 'dist'));
    const runTwo = synth(2, envs, secrets, path.join(two, 'dist'));
    expect(runTwo.status).toBe(1);
    expect(runTwo.stderr).toBe(runOne.stderr);
    const lines = runTwo.stderr.split('\n').filter(Boolean);
    expect(lines.map((l) => /--env (\S+)/.exec(l)?.[1] ?? l)).toEqual(['blue', 'green', 'production', 'staging', 'tenant-a', 'synth: 5 problem(s); nothing was written']);
    expect(fs.readdirSync(two)).toEqual([]);
  });
});
