/**
 * The one entry point: reads the command line, the process environment and the environment files,
 * and hands plain values to lib/. Commands:
 *
 *   synth [--out DIR] [--environments DIR]   render every environment into DIR/<env>/ (default dist)
 *   schema                                   write environments/environment.schema.json for editors
 *   bench [--runs N]                         time synth against kustomize and the stock cdk8s flow
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import type { EnvironmentSource } from './lib/config/load';
import { ProblemsError } from './lib/config/problems';

const ROOT = __dirname;

/**
 * Loads a module when its command runs, so each command pays only for what it uses. A plain
 * require (not import()) keeps this working under every TypeScript loader, ts-node included.
 */
function load<T>(id: string): T {
  return require(id) as T;
}

/** Reads environments/*.yaml; a .yml file is an error rather than silently skipped. */
function readEnvironmentSources(dir: string): EnvironmentSource[] {
  const relative = path.relative(process.cwd(), dir) || '.';
  const names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  const misnamed = names.filter((n) => n.endsWith('.yml'));
  if (misnamed.length > 0) {
    throw new ProblemsError(misnamed.map((n) => ({ file: path.join(relative, n), path: '', message: 'found a .yml file, expected the extension .yaml (environments/<name>.yaml)' })));
  }
  return names.map((n) => ({ file: path.join(relative, n), text: fs.readFileSync(path.join(dir, n), 'utf8') }));
}

async function synthCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: path.join(ROOT, 'dist') },
      environments: { type: 'string', default: path.join(ROOT, 'environments') },
    },
    strict: true,
  });
  const { synth, formatSummary } = load<typeof import('./lib/synth/synth')>('./lib/synth/synth');
  const { copyTree } = load<typeof import('./lib/synth/write')>('./lib/synth/write');
  const outDir = path.resolve(values.out);
  const summaries = synth(readEnvironmentSources(path.resolve(values.environments)), outDir);
  const shown = path.relative(process.cwd(), outDir) || '.';
  for (const summary of summaries) console.log(formatSummary(shown, summary));
  // Under `cdk8s synth` the CLI wants the manifests in its own (emptied) output folder too.
  const cliOut = process.env.CDK8S_OUTDIR;
  if (cliOut && path.resolve(cliOut) !== outDir) copyTree(outDir, path.resolve(cliOut));
}

async function schemaCommand(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {}, strict: true });
  const { schemaJson } = load<typeof import('./lib/config/schema-file')>('./lib/config/schema-file');
  const file = path.join(ROOT, 'environments', 'environment.schema.json');
  fs.writeFileSync(file, schemaJson());
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

async function benchCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { runs: { type: 'string', default: '5' } }, strict: true });
  const runs = Number(values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: found ${JSON.stringify(values.runs)}, expected a whole number of at least 1`);
  const { runBench } = load<typeof import('./lib/bench')>('./lib/bench');
  const { lines, ok } = runBench({ root: ROOT, runs });
  for (const line of lines) console.log(line);
  if (!ok) process.exitCode = 1;
}

const COMMANDS: Record<string, (argv: string[]) => Promise<void>> = {
  synth: synthCommand,
  schema: schemaCommand,
  bench: benchCommand,
};

async function main(): Promise<void> {
  const [command = 'synth', ...argv] = process.argv.slice(2);
  const run = COMMANDS[command];
  if (!run) {
    console.error(`unknown command ${JSON.stringify(command)}; expected one of: ${Object.keys(COMMANDS).join(', ')}`);
    process.exit(2);
  }
  try {
    await run(argv);
  } catch (error) {
    if (error instanceof ProblemsError) {
      for (const line of error.message.split('\n')) console.error(line);
      console.error(`${command}: ${error.problems.length} problem(s); nothing was written`);
    } else if (process.env.GRAVL_DEBUG) {
      console.error(error);
    } else {
      console.error(`${command} failed: ${error instanceof Error ? error.message : String(error)} (set GRAVL_DEBUG=1 for details)`);
    }
    process.exitCode = 1;
  }
}

void main();
