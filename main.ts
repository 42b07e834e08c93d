/**
 * The one entry point: reads the command line, the process environment and the environment files,
 * and hands plain values to lib/. The commands and their options are declared in
 * lib/cli/commands.ts; `--help` prints them.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import { isMainThread } from 'node:worker_threads';
import * as path from 'node:path';
import type { EnvironmentSource } from './lib/model/load';
import { ProblemsError } from './lib/model/problems';
import { PROJECT_ROOT } from './lib/kit/project-root';
import { commandSpec, commandUsage, parseCommand, programUsage, UsageError, type ParsedCommand } from './lib/cli/commands';

// The repository, whether this runs from source or from the compiled bundle (bin/gravl.cjs).
const ROOT = PROJECT_ROOT;
/** Whether this runs from the compiled bundle (.build/main.cjs) rather than from the TypeScript sources. */
const BUNDLED = path.basename(__filename) === 'main.cjs';


/** The sealed values file of an environment, if it has one. */
function sealedValuesOf(secretsDir: string, name: string): { file: string; text?: string; sealCommand: string } {
  const file = path.join(secretsDir, name, 'sealed-values.yaml');
  const shown = path.relative(process.cwd(), file);
  const sealCommand = sealCommandFor(secretsDir);
  return fs.existsSync(file) ? { file: shown, text: fs.readFileSync(file, 'utf8'), sealCommand } : { file: shown, sealCommand };
}

/** The sealing certificate of an environment, if it has one. */
function sealingCertificateOf(secretsDir: string, name: string): { file: string; text?: string } {
  const file = path.join(secretsDir, name, 'sealing-cert.pem');
  const shown = path.relative(process.cwd(), file);
  return fs.existsSync(file) ? { file: shown, text: fs.readFileSync(file, 'utf8') } : { file: shown };
}

/** Reads environments/*.yaml (and each one's sealed values); a .yml file is an error rather than silently skipped. */
function readEnvironmentSources(dir: string, secretsDir: string): EnvironmentSource[] {
  const relative = path.relative(process.cwd(), dir) || '.';
  const names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  const misnamed = names.filter((n) => n.endsWith('.yml'));
  if (misnamed.length > 0) {
    throw new ProblemsError(misnamed.map((n) => ({ file: path.join(relative, n), path: '', message: 'found a .yml file, expected the extension .yaml (environments/<name>.yaml)' })));
  }
  return names.map((n) => ({
    file: path.join(relative, n),
    text: fs.readFileSync(path.join(dir, n), 'utf8'),
    sealedValues: sealedValuesOf(secretsDir, n.replace(/\.yaml$/, '')),
    sealingCertificate: sealingCertificateOf(secretsDir, n.replace(/\.yaml$/, '')),
  }));
}

const SCHEMA_SOURCES = [path.join(ROOT, 'lib', 'model', 'schema.ts'), path.join(ROOT, 'lib', 'model', 'sealed-values.ts'), path.join(ROOT, 'lib', 'model', 'formats.ts')];
const SCHEMA_FILE = path.join(ROOT, 'environments', 'environment.schema.json');
const VALIDATORS_FILE = path.join(ROOT, 'lib', 'model', 'validators.generated.js');

/** Rewrites the JSON Schema and the precompiled validators from their sources; returns whether either changed. */
function writeSchemaFile(): boolean {
  const { schemaJson, validatorsJs } = (require('./lib/model/schema-file') as typeof import('./lib/model/schema-file'));
  let changed = false;
  for (const [file, text] of [[SCHEMA_FILE, schemaJson()], [VALIDATORS_FILE, validatorsJs()]] as const) {
    if (fs.existsSync(file) && fs.readFileSync(file, 'utf8') === text) {
      // Current already: mark it so, or every synth would check again.
      const now = new Date();
      fs.utimesSync(file, now, now);
      continue;
    }
    fs.writeFileSync(file, text);
    changed = true;
  }
  return changed;
}

/** Whether a source of the schema is newer than what was generated from it. */
function schemaStale(): boolean {
  const generated = Math.min(...[SCHEMA_FILE, VALIDATORS_FILE].map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
  return SCHEMA_SOURCES.some((f) => fs.statSync(f).mtimeMs > generated);
}

/** A folder the user named (or its default), checked before anything reads it. */
function requireFolder(option: string, dir: string, expected: string): void {
  const shown = path.relative(process.cwd(), dir) || '.';
  let stat: fs.Stats;
  try {
    stat = fs.statSync(dir);
  } catch {
    throw new ProblemsError([{ file: shown, path: '', message: `${option}: found no such folder, expected ${expected}` }]);
  }
  if (!stat.isDirectory()) throw new ProblemsError([{ file: shown, path: '', message: `${option}: found a file, expected ${expected}` }]);
  try {
    fs.accessSync(dir, fs.constants.R_OK | fs.constants.X_OK);
  } catch {
    throw new ProblemsError([{ file: shown, path: '', message: `${option}: the folder cannot be read (permissions), expected ${expected}` }]);
  }
}

/** The seal command to suggest for an environment: carries --secrets when it is not the default. */
function sealCommandFor(secretsDir: string): string {
  return path.resolve(secretsDir) === path.join(ROOT, 'secrets') ? 'npm run seal --' : `npm run seal -- --secrets ${path.relative(process.cwd(), secretsDir) || '.'}`;
}

// Each command requires the modules it uses where it runs (a literal require, so the bundle holds them
// and evaluates them only then): a command pays for what it uses.

async function synthCommand(args: Parsed): Promise<void> {
  const outDir = args.values.out as string;
  const environmentsDir = args.values.environments as string;
  const secretsDir = args.values.secrets as string;
  requireFolder('--environments', environmentsDir, 'the folder of environment files (<name>.yaml)');
  requireFolder('--secrets', secretsDir, 'the folder of sealed values (<env>/sealed-values.yaml)');
  requireFolder('--out', path.dirname(outDir), `an existing folder to hold ${path.basename(outDir)}/`);
  // Synth validates against the JSON rendering of the schema: refresh it when its source changed.
  if (schemaStale() && writeSchemaFile()) console.log(`updated ${path.relative(process.cwd(), SCHEMA_FILE)} and the validators from lib/model/schema.ts`);
  const { synth, formatSummary, checkRemovals } = (require('./lib/render/synth') as typeof import('./lib/render/synth'));
  const { copyTree } = (require('./lib/render/write') as typeof import('./lib/render/write'));
  const sources = readEnvironmentSources(environmentsDir, secretsDir);
  const shown = path.relative(process.cwd(), outDir) || '.';
  // An environment whose file is gone would vanish from the output, and a sync would prune it:
  // only on purpose.
  const removing = args.strings.remove!.flatMap((v) => v.split(',')).filter(Boolean);
  checkRemovals({ outDir, shownOut: shown, sources, removing, environmentsDir: path.relative(process.cwd(), environmentsDir) || '.' });
  // On every idle core when running from the compiled bundle (bin/gravl.cjs), whose workers run the
  // same bundle, and when there are two environments per thread: a worker's start (the bundle
  // loaded, its code compiled again) costs about an environment, and a thread that waits for a
  // busy core gains nothing. GRAVL_THREADS: how many threads instead.
  const idleCores = Math.max(1, Math.round(os.availableParallelism() - os.loadavg()[0]!));
  const threads = Number(process.env.GRAVL_THREADS) || Math.min(idleCores, Math.floor(sources.length / 2));
  const summaries = BUNDLED && threads > 1 && sources.length > 1
    ? await (require('./lib/render/parallel') as typeof import('./lib/render/parallel')).synthInParallel(sources, outDir, { threads, workerScript: path.join(ROOT, 'bin', 'gravl.cjs') })
    : await synth(sources, outDir);
  for (const summary of summaries) console.log(formatSummary(shown, summary));
  for (const name of removing) console.log(`removed ${shown}/${name}/ and its Argo CD Application, as --remove ${name} asked`);
  // Under `cdk8s synth` the CLI wants the manifests in its own (emptied) output folder too.
  const cliOut = process.env.CDK8S_OUTDIR;
  if (cliOut && path.resolve(cliOut) !== outDir) copyTree(outDir, path.resolve(cliOut));
}

async function sealCommand(args: Parsed): Promise<void> {
  const values = args.values as Record<string, string | undefined> & { generate: boolean; 'keep-newline': boolean; 'fetch-cert': boolean; 'stand-in-cert': boolean };
  if (values['fetch-cert'] || values['stand-in-cert']) {
    certificateCommand(values as unknown as Parameters<typeof certificateCommand>[0]);
    return;
  }
  const { checkSealRequest, sealIntoValues } = (require('./lib/cli/seal') as typeof import('./lib/cli/seal'));
  const missing = (['env', 'namespace', 'name', 'key'] as const).filter((k) => !values[k]).map((k) => `--${k}: found nothing, expected a value`);
  const request = {
    environment: values.env ?? '',
    namespace: values.namespace ?? '',
    name: values.name ?? '',
    key: values.key ?? '',
    scope: values.scope as 'strict',
    ...(values.type ? { type: values.type } : {}),
  };
  const length = Number(values.length);
  const problems = [...missing, ...(missing.length ? [] : checkSealRequest(request))];
  if (!Number.isInteger(length) || length < 32) problems.push(`--length: found ${JSON.stringify(values.length)}, expected a whole number of at least 32`);
  const secretsDir = values.secrets!;
  const dir = path.join(secretsDir, request.environment);
  const certFile = path.join(dir, 'sealing-cert.pem');
  const envFile = path.join(values.environments!, `${request.environment}.yaml`);
  if (problems.length === 0 && !fs.existsSync(envFile)) problems.push(`--env: found ${JSON.stringify(request.environment)}, expected an environment with a file ${path.relative(process.cwd(), envFile)}`);
  if (problems.length === 0 && !fs.existsSync(secretsDir)) problems.push(`--secrets: found no folder ${path.relative(process.cwd(), secretsDir) || '.'}, expected the folder of sealed values (<env>/sealed-values.yaml)`);
  if (problems.length === 0 && !fs.existsSync(certFile)) problems.push(`${path.relative(process.cwd(), certFile)}: found no sealing certificate, expected the controller's (${sealCommandFor(secretsDir)} --fetch-cert --env ${request.environment})`);
  if (problems.length > 0) throw new ProblemsError(problems.map((message) => ({ file: 'seal', path: '', message })));

  // What the constructs declare about this key: generated or provided, and in which form.
  const declared = declaredKeys(values.environments!, secretsDir, request.environment);
  const declaration = declared.find((d) => d.namespace === request.namespace && d.name === request.name && d.key === request.key);
  if (!declaration) {
    const ofSecret = declared.filter((d) => d.namespace === request.namespace && d.name === request.name).map((d) => d.key);
    throw new ProblemsError([{ file: 'seal', path: '', message: `--key: found ${request.namespace}/${request.name} key ${request.key}, which nothing in ${request.environment} reads; expected ${ofSecret.length ? `one of its keys: ${ofSecret.join(', ')}` : `a secret the environment reads: ${[...new Set(declared.map((d) => `${d.namespace}/${d.name}`))].join(', ')}`}` }]);
  }


  let value: Buffer | undefined;
  if (!values.generate) {
    value = fs.readFileSync(0);
    // `echo secret | npm run seal` would otherwise seal the newline echo adds.
    if (!values['keep-newline']) value = Buffer.from(value.toString('utf8').replace(/\r?\n$/, ''), 'utf8');
  }
  const valuesFile = path.join(dir, 'sealed-values.yaml');
  const text = sealIntoValues(
    { ...request, keyClass: declaration.keyClass, ...(value ? { value } : {}), length, today: new Date().toISOString().slice(0, 10) },
    { certificate: fs.readFileSync(certFile, 'utf8'), ...(fs.existsSync(valuesFile) ? { valuesText: fs.readFileSync(valuesFile, 'utf8') } : {}) },
  );
  // Written next to the file and renamed over it, so an interrupted write never truncates it.
  fs.writeFileSync(`${valuesFile}.tmp`, text);
  fs.renameSync(`${valuesFile}.tmp`, valuesFile);
  console.log(`sealed ${request.namespace}/${request.name} key ${request.key} (${request.scope}, ${values.generate ? `generated ${length} characters` : 'provided'}) into ${path.relative(process.cwd(), valuesFile)}`);
  console.log(`next: npm run synth${path.resolve(secretsDir) === path.join(ROOT, 'secrets') ? '' : ` -- --secrets ${path.relative(process.cwd(), secretsDir) || '.'}`}, then commit ${path.relative(process.cwd(), valuesFile)} and dist/ together`);
}

/** The secret keys an environment's constructs read, with their classes (its tree built, nothing rendered). */
function declaredKeys(environmentsDir: string, secretsDir: string, name: string): import('./lib/kit/secrets').DeclaredKey[] {
  const { loadEnvironments } = (require('./lib/model/load') as typeof import('./lib/model/load'));
  const { GravlEnvironment } = (require('./lib/system/gravl') as typeof import('./lib/system/gravl'));
  const source = readEnvironmentSources(environmentsDir, secretsDir).find((s) => path.basename(s.file) === `${name}.yaml`)!;
  const loaded = loadEnvironments([source]);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  return new GravlEnvironment(loaded.environments[0]!, { declarationsOnly: true }).secrets.declarations();
}

/** `seal --fetch-cert` (the controller's certificate) and `seal --stand-in-cert` (one made here, marked as a stand-in). */
function certificateCommand(values: { env?: string; from?: string; context?: string; secrets: string; environments: string; 'controller-namespace': string; 'controller-name': string; 'stand-in-cert': boolean }): void {
  const { checkFetchedCertificate, fetchWithKubectl, makeStandInCertificate } = (require('./lib/cli/fetch-cert') as typeof import('./lib/cli/fetch-cert'));
  const { markedCertificate, readSealingCertificate } = (require('./lib/model/certificate') as typeof import('./lib/model/certificate'));
  const environment = values.env ?? '';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(environment)) throw new Error(`--env: found ${JSON.stringify(values.env ?? '')}, expected an environment name such as staging`);
  if (!fs.existsSync(path.join(path.resolve(values.environments), `${environment}.yaml`))) throw new Error(`--env: found ${JSON.stringify(environment)}, expected an environment with a file environments/${environment}.yaml`);
  const dir = path.join(path.resolve(values.secrets), environment);
  const certFile = path.join(dir, 'sealing-cert.pem');
  const shown = path.relative(process.cwd(), certFile);
  const today = new Date().toISOString().slice(0, 10);
  let text: string;
  if (values['stand-in-cert']) {
    if (fs.existsSync(certFile) && readSealingCertificate(shown, fs.readFileSync(certFile, 'utf8')).provenance === 'fetched') {
      throw new Error(`${shown}: holds the controller's certificate; a stand-in would replace it (remove the file first if that is what you mean)`);
    }
    text = markedCertificate(makeStandInCertificate(environment), 'stand-in', 'openssl, by npm run seal -- --stand-in-cert', today);
  } else if (values.from) {
    if (!fs.existsSync(values.from)) throw new Error(`--from: ${values.from}: no such file (expected what kubeseal --fetch-cert wrote)`);
    const pem = fs.readFileSync(values.from, 'utf8');
    checkFetchedCertificate(values.from, pem);
    text = markedCertificate(pem, 'fetched', `kubeseal --fetch-cert output (${path.basename(values.from)})`, today);
  } else {
    const fetched = fetchWithKubectl({ namespace: values['controller-namespace'], name: values['controller-name'], ...(values.context ? { context: values.context } : {}) });
    checkFetchedCertificate(`the certificate of ${values['controller-namespace']}/${values['controller-name']}`, fetched.pem);
    text = markedCertificate(fetched.pem, 'fetched', fetched.source, today);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${certFile}.tmp`, text);
  fs.renameSync(`${certFile}.tmp`, certFile);
  const written = readSealingCertificate(shown, text);
  console.log(`wrote ${shown} (${written.provenance}, ${written.fingerprint})`);
  // Every value sealed for another certificate must be sealed again: list the commands.
  const valuesFile = path.join(dir, 'sealed-values.yaml');
  if (!fs.existsSync(valuesFile)) return;
  const { parseSealedValues } = (require('./lib/model/sealed-values') as typeof import('./lib/model/sealed-values'));
  const { values: sealed } = parseSealedValues(path.relative(process.cwd(), valuesFile), fs.readFileSync(valuesFile, 'utf8'));
  const stale = Object.entries(sealed).flatMap(([namespace, secrets]) =>
    Object.entries(secrets).flatMap(([name, entry]) =>
      Object.entries(entry.data).filter(([, v]) => v.certificate !== written.fingerprint).map(([key, v]) =>
        `npm run seal -- --env ${environment} --namespace ${namespace} --name ${name} --key ${key}${entry.scope && entry.scope !== 'strict' ? ` --scope ${entry.scope}` : ''} ${v.origin === 'generated' ? '--generate' : '< FILE-WITH-THE-VALUE'}`)));
  if (stale.length > 0) {
    console.log(`${stale.length} sealed value(s) were sealed for another certificate; seal each again:`);
    for (const line of stale) console.log(`  ${line}`);
  }
}

async function diffCommand(args: Parsed): Promise<void> {
  const values = args.values as Record<string, string | undefined> & { 'exit-code': boolean };
  if (values.format !== 'text' && values.format !== 'markdown') throw new UsageError(`--format: found ${JSON.stringify(values.format)}, expected text or markdown`, commandSpec('diff'));
  const environmentsDir = values.environments!;
  const secretsDir = values.secrets!;
  requireFolder('--environments', environmentsDir, 'the folder of environment files (<name>.yaml)');
  requireFolder('--secrets', secretsDir, 'the folder of sealed values (<env>/sealed-values.yaml)');
  const { renderAll } = (require('./lib/render/synth') as typeof import('./lib/render/synth'));
  const { readTree, readTreeAtRef, runDiff, treeOf } = (require('./lib/review/diff') as typeof import('./lib/review/diff'));
  // The head is rendered in memory: diff never writes dist/.
  // The diff compares objects: READINESS.md is not rendered for it.
  const { environments, shared, production } = renderAll(readEnvironmentSources(environmentsDir, secretsDir), { readiness: false });
  const dist = values.dist!;
  // --base reads dist/ as committed at that ref of the repository that holds it.
  if (!values.base) requireFolder('--dist', dist, 'the rendered output (npm run synth writes it)');
  const base = values.base ? readTreeAtRef(path.dirname(dist), values.base, dist) : readTree(dist);
  const result = runDiff({ head: treeOf(environments, shared), base, production: new Set(production), format: values.format });
  if (result.output) process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
  if (values['exit-code'] && result.differs) process.exitCode = 1;
}

async function readinessCommand(args: Parsed): Promise<void> {
  const values = args.values as Record<string, string | undefined>;
  const { environmentDirs, readDistEnvironment } = (require('./lib/review/inspect/dist') as typeof import('./lib/review/inspect/dist'));
  const { readiness, formatText, EXIT_CODES } = (require('./lib/review/readiness/report') as typeof import('./lib/review/readiness/report'));
  const { parseK6Summary } = (require('./lib/review/readiness/k6') as typeof import('./lib/review/readiness/k6'));
  const { readEvidence } = (require('./lib/review/readiness/evidence') as typeof import('./lib/review/readiness/evidence'));
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new UsageError(`--date: found ${JSON.stringify(values.date)}, expected YYYY-MM-DD`, commandSpec('readiness'));
  const now = values.date ? new Date(`${values.date}T00:00:00Z`) : new Date();
  const summaryFile = values['k6-summary'];
  const k6Summary = summaryFile ? parseK6Summary(readInputFile('--k6-summary', summaryFile, "the log of the load test's Job (kubectl logs job/load-test > k6.log)"), path.relative(process.cwd(), summaryFile)) : undefined;
  if (values.evidence) requireFolder('--evidence', values.evidence, 'the folder the printed evidence commands write (evidence/<env>/)');
  const evidence = values.evidence ? readEvidence(values.evidence, path.relative(process.cwd(), values.evidence) || '.') : undefined;
  const given = args.positionals.map((d) => path.resolve(d));
  for (const dir of given) requireFolder('DIST_DIR', dir, 'a rendered output folder (dist, or dist/<env>)');
  const dirs = (given.length ? given : [path.join(ROOT, 'dist')]).flatMap((d) => environmentDirs(d));
  if (dirs.length === 0) throw new Error('found no rendered environment (a folder with kustomization.yaml): run npm run synth, or name dist/<env>');
  if (k6Summary && dirs.length > 1) throw new UsageError('--k6-summary: a run judges one environment; name its folder (e.g. dist/staging)', commandSpec('readiness'));
  if (evidence && dirs.length > 1) throw new UsageError('--evidence: evidence is of one environment; name its folder (e.g. dist/production)', commandSpec('readiness'));
  // The worst verdict decides the exit code: NO-GO 1, READY 3, GO 0.
  let code = 0;
  for (const dir of dirs) {
    const env = readDistEnvironment(dir);
    const verdict = readiness({ name: env.name, location: path.relative(process.cwd(), dir) || '.', files: env.files, manualFiles: env.manualFiles, kustomizationKeys: env.kustomizationKeys, now, ...(k6Summary ? { k6Summary } : {}), ...(evidence ? { evidence } : {}) });
    console.log(formatText(verdict));
    console.log('');
    const exit = EXIT_CODES[verdict.decision];
    if (exit === EXIT_CODES['NO-GO'] || code === 0) code = exit;
  }
  process.exitCode = code;
}

/** The text of a file the user named; a missing or unreadable one is said plainly. */
function readInputFile(option: string, file: string, expected: string): string {
  const shown = path.relative(process.cwd(), file) || file;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const found = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : code === 'EACCES' ? 'a file that cannot be read (permissions)' : `a file that cannot be read (${code ?? 'error'})`;
    throw new ProblemsError([{ file: shown, path: '', message: `${option}: found ${found}, expected ${expected}` }]);
  }
}

async function promoteCommand(args: Parsed): Promise<void> {
  const values = args.values as Record<string, string | undefined> & { 'dry-run': boolean };
  if (args.positionals.length !== 1) throw new UsageError(`found ${args.positionals.length === 0 ? 'no environment' : `${args.positionals.length} arguments`}, expected the one environment to promote to (such as production)`, commandSpec('promote'));
  if (values.evidence) requireFolder('--evidence', values.evidence, 'the folder the evidence commands of the gate environment wrote (evidence/<env>/)');
  const { promote, PromoteError } = require('./lib/cli/promote') as typeof import('./lib/cli/promote');
  try {
    const { refusals } = await promote({
      repo: values.repo!,
      environment: args.positionals[0]!,
      from: values.from!,
      ...(values.evidence ? { evidence: values.evidence } : {}),
      dryRun: values['dry-run'],
      nodeModules: path.join(ROOT, 'node_modules'),
      print: (line) => console.log(line),
    });
    if (refusals.length > 0) {
      for (const reason of refusals) console.error(`refused: ${reason}`);
      console.error(`promote: ${refusals.length} reason(s); nothing was moved`);
      process.exitCode = 1;
    }
  } catch (error) {
    if (error instanceof PromoteError) throw new ProblemsError([{ file: 'promote', path: '', message: error.message }]);
    throw error;
  }
}

async function schemaCommand(): Promise<void> {
  const changed = writeSchemaFile();
  console.log(`${changed ? 'wrote' : 'unchanged:'} ${path.relative(process.cwd(), SCHEMA_FILE)}, ${path.relative(process.cwd(), VALIDATORS_FILE)}`);
}

async function benchCommand(args: Parsed): Promise<void> {
  const runs = Number(args.values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: found ${JSON.stringify(args.values.runs)}, expected a whole number of at least 1`, commandSpec('bench'));
  const { runBench } = (require('./lib/cli/bench') as typeof import('./lib/cli/bench'));
  const { ok } = runBench({ root: ROOT, runs, tests: !args.values['no-tests'], print: (line) => console.log(line) });
  if (!ok) process.exitCode = 1;
}

type Parsed = ParsedCommand;

const COMMANDS: Record<string, (args: Parsed) => Promise<void>> = {
  synth: synthCommand,
  seal: sealCommand,
  diff: diffCommand,
  readiness: readinessCommand,
  promote: promoteCommand,
  schema: schemaCommand,
  bench: benchCommand,
};

/**
 * `npm run -s diff | head -1`: a reader that stops early is no error. Later output is dropped, and
 * the command still finishes with the exit code its result calls for.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stream.write = (() => true) as typeof stream.write;
    });
  }
}

/** For `npm run bench`: the process's peak resident memory (KiB), written where GRAVL_PEAK_RSS_FILE says at exit. */
function reportPeakMemory(): void {
  const file = process.env.GRAVL_PEAK_RSS_FILE;
  if (file) process.on('exit', () => fs.writeFileSync(file, String(process.resourceUsage().maxRSS)));
}

async function main(): Promise<void> {
  endQuietlyOnClosedPipe();
  reportPeakMemory();
  const argv = process.argv.slice(2);
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(programUsage());
    return;
  }
  const command = argv[0] === undefined || argv[0].startsWith('-') ? 'synth' : argv[0];
  const rest = argv[0] === command ? argv.slice(1) : argv;
  const spec = commandSpec(command);
  const run = COMMANDS[command];
  if (!spec || !run) {
    process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${programUsage()}`);
    process.exitCode = 2;
    return;
  }
  try {
    const args = parseCommand(spec, rest, ROOT);
    if (args.help) {
      process.stdout.write(commandUsage(spec));
      return;
    }
    await run(args);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`${command}: ${error.message}\n\n${commandUsage(error.spec ?? spec)}`);
      process.exitCode = 2;
    } else if (error instanceof ProblemsError) {
      for (const line of error.message.split('\n')) console.error(line);
      console.error(`${command}: ${error.problems.length} problem(s)${command === 'synth' || command === 'seal' ? '; nothing was written' : ''}`);
      process.exitCode = 1;
    } else if (process.env.GRAVL_DEBUG) {
      console.error(error);
      process.exitCode = 1;
    } else {
      console.error(`${command} failed: ${error instanceof Error ? error.message : String(error)} (set GRAVL_DEBUG=1 for details)`);
      process.exitCode = 1;
    }
  }
}

// The only worker threads are those of a parallel synth, running this bundle: they render, they read no command line.
if (isMainThread) void main();
else (require('./lib/render/parallel') as typeof import('./lib/render/parallel')).runSynthWorker();
