/**
 * Every command explains itself: --help and -h print the options with their defaults and exit 0,
 * an unknown option prints the usage and exits 2, and the README's command table says what --help
 * says.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMAND_SPECS, commandUsage, optionSynopsis, parseCommand, programUsage, UsageError } from '../../lib/cli/commands';
import { runAsync, runMain, type Run } from '../support/cli';
import { ROOT } from '../support/render';
import { literalPattern } from '../support/text';

/** `node bin/gravl.cjs ...` (as the npm scripts run it) in a child process, asynchronously so that the runs of a test overlap; with a shell pipeline when given. */
function runThroughShell(args: readonly string[], pipeTo?: string): Promise<Run> {
  const command = [process.execPath, path.join(ROOT, 'bin', 'gravl.cjs'), ...args].map((a) => `'${a}'`).join(' ');
  // pipefail: the status is the command's own, not that of the reader at the end of the pipe.
  return runAsync('bash', ['-o', 'pipefail', '-c', pipeTo ? `${command} | ${pipeTo}` : command]);
}

describe('--help', () => {
  it('lists every command with its summary, and exits 0', async () => {
    for (const flag of ['--help', '-h']) {
      const result = await runMain([flag]);
      expect(result.status).toBe(0);
      expect(result.stdout).toBe(programUsage());
      for (const spec of COMMAND_SPECS) expect(result.stdout).toMatch(new RegExp(`^  ${spec.name} +${literalPattern(spec.summary)}$`, 'm'));
    }
  });

  it.each(COMMAND_SPECS.map((s) => [s.name, s] as const))('prints the options of %s with their defaults for --help and -h, and exits 0', async (_name, spec) => {
    const [long, short] = await Promise.all([runMain([spec.name, '--help']), runMain([spec.name, '-h'])]);
    for (const result of [long, short]) {
      expect(result.status, result.stderr).toBe(0);
      expect(result.stdout).toBe(commandUsage(spec));
    }
    for (const [name, option] of Object.entries(spec.options)) {
      expect(long.stdout).toContain(optionSynopsis(name, option));
      if (option.default !== undefined) expect(long.stdout).toMatch(new RegExp(`${optionSynopsis(name, option)} .*\\(default: ${literalPattern(option.default)}\\)`));
    }
  });

  it.each(COMMAND_SPECS.map((s) => [s.name]))('rejects an unknown option of %s with the usage on stderr and exit 2', async (name) => {
    const result = await runMain([name, '--no-such-option']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain(`${name}: unknown option --no-such-option`);
    expect(result.stderr).toContain(`Usage: npm run ${name} --`);
    expect(result.stdout).toBe('');
  });

  it('rejects an unknown command with the list of commands and exit 2', async () => {
    const result = await runMain(['deploy']);
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('unknown command "deploy"');
    expect(result.stderr).toContain(programUsage());
  });
});

describe('parseCommand', () => {
  const synth = COMMAND_SPECS.find((s) => s.name === 'synth')!;

  it('applies defaults against the project root and resolves given paths against the working folder', () => {
    const parsed = parseCommand(synth, ['--environments', 'elsewhere'], '/project', '/somewhere/else');
    expect(parsed.values.out).toBe(path.join('/project', 'dist'));
    expect(parsed.values.environments).toBe(path.join('/somewhere/else', 'elsewhere'));
    expect(parsed.help).toBe(false);
  });

  it('rejects a positional argument a command does not take, and a missing value', () => {
    expect(() => parseCommand(synth, ['extra'], '/p', '/p')).toThrow(UsageError);
    expect(() => parseCommand(synth, ['extra'], '/p', '/p')).toThrow('unexpected argument "extra"');
    expect(() => parseCommand(synth, ['--out'], '/p', '/p')).toThrow(/--out/);
  });
});

describe("the README's command table", () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  /** `| \`npm run NAME\` | options | summary |` rows. */
  const rows = new Map(
    [...readme.matchAll(/^\| `npm run ([a-z]+)` \| (.*) \| (.*) \|$/gm)].map((m) => [m[1]!, { options: m[2]!, summary: m[3]! }]),
  );

  it.each(COMMAND_SPECS.map((s) => [s.name, s] as const))('says for %s what --help says: the summary, each option and its default', (name, spec) => {
    const row = rows.get(name);
    expect(row, `README.md has no row for npm run ${name}`).toBeDefined();
    expect(row!.summary).toBe(spec.summary);
    const documented = [...row!.options.matchAll(/`(--[a-z0-9-]+(?: [A-Z_.\-]+)?)`(?: \(([^)]*)\))?/g)].map((m) => [m[1], m[2]]);
    const expected = Object.entries(spec.options).map(([option, o]) => [optionSynopsis(option, o), o.default]);
    expect(documented).toEqual(expected);
    if (spec.positionals) expect(row!.options).toContain(`\`${spec.positionals}\``);
  });
});

describe('output into a pipe that closes early', () => {
  it.each([['diff'], ['readiness', '--date', '2026-12-01'], ['--help']])('ends quietly, with the exit code it has without the pipe: %s | head -1', async (...args) => {
    // Only readiness needs the run without the pipe: its exit code is the verdict's (in this
    // process: test/cli/run-cli.test.ts holds it to the real process's).
    const [piped, whole] = await Promise.all([runThroughShell(args, 'head -c 1 >/dev/null'), args[0] === 'readiness' ? runMain(args) : undefined]);
    expect(piped.stderr).not.toMatch(/EPIPE|\n\s+at /);
    // 0 for diff and --help; the verdict's code for readiness (NO-GO while production has stand-ins).
    expect(piped.status).toBe(whole ? whole.status : 0);
  });
});
