/**
 * The commands, as one function of the command line and what the process gives them: the working
 * folder, the environment variables, the two output streams and standard input. It returns the exit
 * code and touches no process state (no exit code, no listeners, no reads of process.env or of the
 * process's working folder), so it runs the same in main.ts, the real process, and in a test. The
 * revision's commands promote runs get io.env; git and tar, which promote and `diff --base` run,
 * inherit the process's environment (the same as io.env in the real process).
 * The commands and their options are declared in lib/cli/commands.ts; `--help` prints them.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { formatWithOptions } from 'node:util';
import type { EnvironmentSource } from '../model/load';
import { ProblemsError } from '../model/problems';
import { PROJECT_ROOT } from '../kit/project-root';
import { commandSpec, commandUsage, parseCommand, programUsage, UsageError, type ParsedCommand } from './commands';

/** What a run of the CLI is given in place of the process's own. */
export interface CliIo {
  /** The working folder: relative paths on the command line resolve against it, and shown paths are relative to it. */
  readonly cwd: string;
  /** The environment variables (GRAVL_THREADS, GRAVL_DEBUG, CDK8S_OUTDIR). */
  readonly env: NodeJS.ProcessEnv;
  /** Standard output: each call is whole lines (or a whole usage text). */
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard input, read whole (seal reads the value to seal from it); none: empty. */
  readonly stdin?: () => Buffer;
  /** Whether stderr shows colours (GRAVL_DEBUG's error, as console.error would print it there). */
  readonly stderrColors?: boolean;
  /**
   * The project the command is of: defaulted paths (environments/, secrets/, dist/) resolve against
   * it, and the schema synth refreshes is its own. This process's project when absent; promote
   * gives the tree of a revision whose generator is byte for byte this one (lib/cli/promote.ts).
   */
  readonly root?: string;
  /**
   * The launcher's content key of the code this run executes, given by a caller that runs the
   * sources it names (a test); the real process reads GRAVL_BUNDLE_KEY, which bin/gravl.cjs sets
   * when its bundle is made from the sources as they are. promote judges a revision of that key in
   * this process.
   */
  readonly generatorKey?: string;
}

// The repository of the running generator, whether this runs from source or from the compiled
// bundle (bin/gravl.cjs): its node_modules and its launcher. A command's own project is cx.root.
const ROOT = PROJECT_ROOT;
/** Whether this runs from the compiled bundle (.build/main.cjs) rather than from the TypeScript sources. */
const BUNDLED = path.basename(__filename) === 'main.cjs';
/** The launcher of the running generator (bin/gravl.cjs). */
const LAUNCHER = path.join(ROOT, 'bin', 'gravl.cjs');

/** One run: its io, and the ways its commands print and show paths. */
interface Context {
  readonly io: CliIo;
  /** The project the command is of (io.root, else this process's). */
  readonly root: string;
  /** A path as the user sees it: relative to the working folder (empty for the folder itself). */
  shown(file: string): string;
  /** A path given on the command line, made absolute against the working folder. */
  resolve(file: string): string;
  /** One line on standard output (console.log's). */
  out(line: string): void;
  /** One line on standard error (console.error's). */
  err(line: string): void;
}

function contextOf(io: CliIo): Context {
  return {
    io,
    root: io.root ?? ROOT,
    shown: (file) => path.relative(io.cwd, file),
    resolve: (file) => path.resolve(io.cwd, file),
    out: (line) => io.stdout(`${line}\n`),
    err: (line) => io.stderr(`${line}\n`),
  };
}

/** The sealed values file of an environment, if it has one. */
function sealedValuesOf(cx: Context, secretsDir: string, name: string): { file: string; text?: string; sealCommand: string } {
  const file = path.join(secretsDir, name, 'sealed-values.yaml');
  const shown = cx.shown(file);
  const sealCommand = sealCommandFor(cx, secretsDir);
  return fs.existsSync(file) ? { file: shown, text: fs.readFileSync(file, 'utf8'), sealCommand } : { file: shown, sealCommand };
}

/** The sealing certificate of an environment, if it has one. */
function sealingCertificateOf(cx: Context, secretsDir: string, name: string): { file: string; text?: string } {
  const file = path.join(secretsDir, name, 'sealing-cert.pem');
  const shown = cx.shown(file);
  return fs.existsSync(file) ? { file: shown, text: fs.readFileSync(file, 'utf8') } : { file: shown };
}

/** Reads environments/*.yaml (and each one's sealed values); a .yml file is an error rather than silently skipped. */
function readEnvironmentSources(cx: Context, dir: string, secretsDir: string): EnvironmentSource[] {
  const relative = cx.shown(dir) || '.';
  const names = fs.readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort();
  const misnamed = names.filter((n) => n.endsWith('.yml'));
  if (misnamed.length > 0) {
    throw new ProblemsError(misnamed.map((n) => ({ file: path.join(relative, n), path: '', message: 'found a .yml file, expected the extension .yaml (environments/<name>.yaml)' })));
  }
  return names.map((n) => ({
    file: path.join(relative, n),
    text: fs.readFileSync(path.join(dir, n), 'utf8'),
    sealedValues: sealedValuesOf(cx, secretsDir, n.replace(/\.yaml$/, '')),
    sealingCertificate: sealingCertificateOf(cx, secretsDir, n.replace(/\.yaml$/, '')),
  }));
}

/** The schema's sources in a project, and the two files generated from them. */
function schemaFiles(root: string): { sources: string[]; schema: string; validators: string } {
  return {
    sources: ['schema.ts', 'sealed-values.ts', 'formats.ts'].map((name) => path.join(root, 'lib', 'model', name)),
    schema: path.join(root, 'environments', 'environment.schema.json'),
    validators: path.join(root, 'lib', 'model', 'validators.generated.js'),
  };
}

/** Rewrites the JSON Schema and the precompiled validators of the project from their sources; returns whether either changed. */
async function writeSchemaFile(root: string): Promise<boolean> {
  const { schemaJson, validatorsJs } = await import('../model/schema-file');
  const files = schemaFiles(root);
  let changed = false;
  for (const [file, text] of [[files.schema, schemaJson()], [files.validators, validatorsJs()]] as const) {
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

/** Whether a source of the project's schema is newer than what was generated from it. */
function schemaStale(root: string): boolean {
  const files = schemaFiles(root);
  const generated = Math.min(...[files.schema, files.validators].map((f) => (fs.existsSync(f) ? fs.statSync(f).mtimeMs : 0)));
  return files.sources.some((f) => fs.statSync(f).mtimeMs > generated);
}

/** A folder the user named (or its default), checked before anything reads it. */
function requireFolder(cx: Context, option: string, dir: string, expected: string): void {
  const shown = cx.shown(dir) || '.';
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
function sealCommandFor(cx: Context, secretsDir: string): string {
  return cx.resolve(secretsDir) === path.join(cx.root, 'secrets') ? 'npm run seal --' : `npm run seal -- --secrets ${cx.shown(secretsDir) || '.'}`;
}

// Each command imports the modules it uses where it runs (a literal import(), so the bundle holds
// them and evaluates them only then, and a test runs the same modules as its own imports): a command
// pays for what it uses. A command returns its exit code, or nothing for 0.

async function synthCommand(cx: Context, args: Parsed): Promise<void> {
  const outDir = args.values.out as string;
  const environmentsDir = args.values.environments as string;
  const secretsDir = args.values.secrets as string;
  requireFolder(cx, '--environments', environmentsDir, 'the folder of environment files (<name>.yaml)');
  requireFolder(cx, '--secrets', secretsDir, 'the folder of sealed values (<env>/sealed-values.yaml)');
  requireFolder(cx, '--out', path.dirname(outDir), `an existing folder to hold ${path.basename(outDir)}/`);
  // Synth validates against the JSON rendering of the schema: refresh it when its source changed.
  if (schemaStale(cx.root) && (await writeSchemaFile(cx.root))) cx.out(`updated ${cx.shown(schemaFiles(cx.root).schema)} and the validators from lib/model/schema.ts`);
  const { synth, formatSummary, checkRemovals } = await import('../render/synth');
  const { copyTree } = await import('../render/write');
  const sources = readEnvironmentSources(cx, environmentsDir, secretsDir);
  const shown = cx.shown(outDir) || '.';
  // An environment whose file is gone would vanish from the output, and a sync would prune it:
  // only on purpose.
  const removing = args.strings.remove!.flatMap((v) => v.split(',')).filter(Boolean);
  checkRemovals({ outDir, shownOut: shown, sources, removing, environmentsDir: cx.shown(environmentsDir) || '.' });
  // On every idle core when running from the compiled bundle (bin/gravl.cjs), whose workers run the
  // same bundle, and when there are two environments per thread: a worker's start (the bundle
  // loaded, its code compiled again) costs about an environment, and a thread that waits for a
  // busy core gains nothing. GRAVL_THREADS: how many threads instead.
  const idleCores = Math.max(1, Math.round(os.availableParallelism() - os.loadavg()[0]!));
  const threads = Number(cx.io.env.GRAVL_THREADS) || Math.min(idleCores, Math.floor(sources.length / 2));
  const summaries = BUNDLED && threads > 1 && sources.length > 1
    ? await (await import('../render/parallel')).synthInParallel(sources, outDir, { threads, workerScript: LAUNCHER })
    : await synth(sources, outDir);
  for (const summary of summaries) cx.out(formatSummary(shown, summary));
  for (const name of removing) cx.out(`removed ${shown}/${name}/ and its Argo CD Application, as --remove ${name} asked`);
  // Under `cdk8s synth` the CLI wants the manifests in its own (emptied) output folder too.
  const cliOut = cx.io.env.CDK8S_OUTDIR;
  if (cliOut && cx.resolve(cliOut) !== outDir) copyTree(outDir, cx.resolve(cliOut));
}

async function sealCommand(cx: Context, args: Parsed): Promise<void> {
  const values = args.values as Record<string, string | undefined> & { generate: boolean; 'keep-newline': boolean; 'fetch-cert': boolean; 'stand-in-cert': boolean };
  if (values['fetch-cert'] || values['stand-in-cert']) {
    await certificateCommand(cx, values as unknown as Parameters<typeof certificateCommand>[1]);
    return;
  }
  const { checkSealRequest, sealIntoValues } = await import('./seal');
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
  if (problems.length === 0 && !fs.existsSync(envFile)) problems.push(`--env: found ${JSON.stringify(request.environment)}, expected an environment with a file ${cx.shown(envFile)}`);
  if (problems.length === 0 && !fs.existsSync(secretsDir)) problems.push(`--secrets: found no folder ${cx.shown(secretsDir) || '.'}, expected the folder of sealed values (<env>/sealed-values.yaml)`);
  if (problems.length === 0 && !fs.existsSync(certFile)) problems.push(`${cx.shown(certFile)}: found no sealing certificate, expected the controller's (${sealCommandFor(cx, secretsDir)} --fetch-cert --env ${request.environment})`);
  if (problems.length > 0) throw new ProblemsError(problems.map((message) => ({ file: 'seal', path: '', message })));

  // What the constructs declare about this key: generated or provided, and in which form.
  const declared = await declaredKeys(cx, values.environments!, secretsDir, request.environment);
  const declaration = declared.find((d) => d.namespace === request.namespace && d.name === request.name && d.key === request.key);
  if (!declaration) {
    const ofSecret = declared.filter((d) => d.namespace === request.namespace && d.name === request.name).map((d) => d.key);
    throw new ProblemsError([{ file: 'seal', path: '', message: `--key: found ${request.namespace}/${request.name} key ${request.key}, which nothing in ${request.environment} reads; expected ${ofSecret.length ? `one of its keys: ${ofSecret.join(', ')}` : `a secret the environment reads: ${[...new Set(declared.map((d) => `${d.namespace}/${d.name}`))].join(', ')}`}` }]);
  }


  let value: Buffer | undefined;
  if (!values.generate) {
    value = cx.io.stdin?.() ?? Buffer.alloc(0);
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
  cx.out(`sealed ${request.namespace}/${request.name} key ${request.key} (${request.scope}, ${values.generate ? `generated ${length} characters` : 'provided'}) into ${cx.shown(valuesFile)}`);
  cx.out(`next: npm run synth${cx.resolve(secretsDir) === path.join(cx.root, 'secrets') ? '' : ` -- --secrets ${cx.shown(secretsDir) || '.'}`}, then commit ${cx.shown(valuesFile)} and dist/ together`);
}

/** The secret keys an environment's constructs read, with their classes (its tree built, nothing rendered). */
async function declaredKeys(cx: Context, environmentsDir: string, secretsDir: string, name: string): Promise<import('../kit/secrets').DeclaredKey[]> {
  const { loadEnvironments } = await import('../model/load');
  const { GravlEnvironment } = await import('../system/gravl');
  const source = readEnvironmentSources(cx, environmentsDir, secretsDir).find((s) => path.basename(s.file) === `${name}.yaml`)!;
  const loaded = loadEnvironments([source]);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  return new GravlEnvironment(loaded.environments[0]!, { declarationsOnly: true }).secrets.declarations();
}

/** `seal --fetch-cert` (the controller's certificate) and `seal --stand-in-cert` (one made here, marked as a stand-in). */
async function certificateCommand(cx: Context, values: { env?: string; from?: string; context?: string; secrets: string; environments: string; 'controller-namespace': string; 'controller-name': string; 'stand-in-cert': boolean }): Promise<void> {
  const { checkFetchedCertificate, fetchWithKubectl, makeStandInCertificate } = await import('./fetch-cert');
  const { markedCertificate, readSealingCertificate } = await import('../model/certificate');
  const environment = values.env ?? '';
  if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(environment)) throw new Error(`--env: found ${JSON.stringify(values.env ?? '')}, expected an environment name such as staging`);
  if (!fs.existsSync(path.join(cx.resolve(values.environments), `${environment}.yaml`))) throw new Error(`--env: found ${JSON.stringify(environment)}, expected an environment with a file environments/${environment}.yaml`);
  const dir = path.join(cx.resolve(values.secrets), environment);
  const certFile = path.join(dir, 'sealing-cert.pem');
  const shown = cx.shown(certFile);
  const today = new Date().toISOString().slice(0, 10);
  let text: string;
  if (values['stand-in-cert']) {
    if (fs.existsSync(certFile) && readSealingCertificate(shown, fs.readFileSync(certFile, 'utf8')).provenance === 'fetched') {
      throw new Error(`${shown}: holds the controller's certificate; a stand-in would replace it (remove the file first if that is what you mean)`);
    }
    text = markedCertificate(makeStandInCertificate(environment, cx.io.env), 'stand-in', 'openssl, by npm run seal -- --stand-in-cert', today);
  } else if (values.from) {
    const from = cx.resolve(values.from);
    if (!fs.existsSync(from)) throw new Error(`--from: ${values.from}: no such file (expected what kubeseal --fetch-cert wrote)`);
    const pem = fs.readFileSync(from, 'utf8');
    checkFetchedCertificate(values.from, pem);
    text = markedCertificate(pem, 'fetched', `kubeseal --fetch-cert output (${path.basename(values.from)})`, today);
  } else {
    let fetched: { pem: string; source: string };
    try {
      fetched = fetchWithKubectl({ namespace: values['controller-namespace'], name: values['controller-name'], ...(values.context ? { context: values.context } : {}) }, cx.io.env);
    } catch (error) {
      // kubectl ran and could not fetch: what else can be done (another context, a file kubeseal
      // wrote, or no cluster yet). Where kubectl cannot run at all, its message says what to do.
      if (/^kubectl could not run/.test((error as Error).message)) throw error;
      throw new Error(
        `${(error as Error).message}; fetch through another kubectl context with --context CONTEXT, take a file kubeseal --fetch-cert wrote with --from FILE, ` +
          `or, with no cluster yet, make a marked stand-in with --stand-in-cert (production stays NO-GO on it)`,
      );
    }
    checkFetchedCertificate(`the certificate of ${values['controller-namespace']}/${values['controller-name']}`, fetched.pem);
    text = markedCertificate(fetched.pem, 'fetched', fetched.source, today);
  }
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${certFile}.tmp`, text);
  fs.renameSync(`${certFile}.tmp`, certFile);
  const written = readSealingCertificate(shown, text);
  cx.out(`wrote ${shown} (${written.provenance}, ${written.fingerprint})`);
  // Every value sealed for another certificate must be sealed again: list the commands.
  const valuesFile = path.join(dir, 'sealed-values.yaml');
  if (!fs.existsSync(valuesFile)) return;
  const { parseSealedValues } = await import('../model/sealed-values');
  const { values: sealed } = parseSealedValues(cx.shown(valuesFile), fs.readFileSync(valuesFile, 'utf8'));
  // The database superuser's Secret (the environment file's database.credentialsSecret, in its
  // namespace): on a database that exists already, its keys are not simply generated anew.
  const { parse } = await import('yaml');
  const { DATABASE_DEFAULTS } = await import('../model/defaults');
  const { SUPERUSER_RESEAL_NOTE } = await import('../contract');
  const file = parse(fs.readFileSync(path.join(cx.resolve(values.environments), `${environment}.yaml`), 'utf8')) as { namespace?: string; database?: { credentialsSecret?: string } } | null;
  const superuser = `${file?.namespace}/${file?.database?.credentialsSecret ?? DATABASE_DEFAULTS.credentialsSecret}`;
  const stale = Object.entries(sealed).flatMap(([namespace, secrets]) =>
    Object.entries(secrets).flatMap(([name, entry]) =>
      Object.entries(entry.data).filter(([, v]) => v.certificate !== written.fingerprint).map(([key, v]) => {
        const note = `${namespace}/${name}` === superuser ? SUPERUSER_RESEAL_NOTE[key] : undefined;
        return `npm run seal -- --env ${environment} --namespace ${namespace} --name ${name} --key ${key}${entry.scope && entry.scope !== 'strict' ? ` --scope ${entry.scope}` : ''} ${v.origin === 'generated' ? '--generate' : '< FILE-WITH-THE-VALUE'}${note ? `  ${note}` : ''}`;
      })));
  if (stale.length > 0) {
    cx.out(`${stale.length} sealed value(s) were sealed for another certificate; seal each again:`);
    for (const line of stale) cx.out(`  ${line}`);
  }
}

async function diffCommand(cx: Context, args: Parsed): Promise<number | void> {
  const values = args.values as Record<string, string | undefined> & { 'exit-code': boolean };
  if (values.format !== 'text' && values.format !== 'markdown') throw new UsageError(`--format: found ${JSON.stringify(values.format)}, expected text or markdown`, commandSpec('diff'));
  const environmentsDir = values.environments!;
  const secretsDir = values.secrets!;
  requireFolder(cx, '--environments', environmentsDir, 'the folder of environment files (<name>.yaml)');
  requireFolder(cx, '--secrets', secretsDir, 'the folder of sealed values (<env>/sealed-values.yaml)');
  const { renderAll } = await import('../render/synth');
  const { hasUncommittedChanges, readTree, readTreeAtRef, runDiff, treeOf } = await import('../review/diff');
  // The head is rendered in memory: diff never writes dist/.
  // The diff compares objects: READINESS.md is not rendered for it.
  const { environments, shared, production } = renderAll(readEnvironmentSources(cx, environmentsDir, secretsDir), { readiness: false });
  const dist = values.dist!;
  // --base reads dist/ as committed at that ref of the repository that holds it.
  if (!values.base) requireFolder(cx, '--dist', dist, 'the rendered output (npm run synth writes it)');
  const base = values.base ? readTreeAtRef(path.dirname(dist), values.base, dist) : readTree(dist);
  const result = runDiff({ head: treeOf(environments, shared), base, production: new Set(production), format: values.format });
  if (result.output) cx.io.stdout(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
  // After `npm run synth`, dist/ on disk holds the new render (all of it, or what was rendered before
  // a later edit): say where the whole change is to be seen.
  if (!values.base && hasUncommittedChanges(dist)) {
    const shown = cx.shown(dist) || '.';
    cx.err(`${shown}/ differs from the last commit (npm run synth has written it): to see the whole change against the commit: npm run diff -- --base HEAD${shown === 'dist' ? '' : ` --dist ${shown}`}`);
  }
  if (values['exit-code'] && result.differs) return 1;
}

async function readinessCommand(cx: Context, args: Parsed): Promise<number> {
  const values = args.values as Record<string, string | undefined>;
  const { environmentDirs, readDistEnvironment } = await import('../review/inspect/dist');
  const { readiness, formatText, EXIT_CODES } = await import('../review/readiness/report');
  const { parseK6Summary } = await import('../review/readiness/k6');
  const { readEvidence } = await import('../review/readiness/evidence');
  const now = values.date ? new Date(`${values.date}T00:00:00Z`) : new Date();
  // A day of the calendar: 2026-13-01 or 2026-02-30 would judge every rotation date against no day at all.
  if (values.date !== undefined && (!/^\d{4}-\d{2}-\d{2}$/.test(values.date) || Number.isNaN(now.getTime()) || now.toISOString().slice(0, 10) !== values.date)) {
    throw new UsageError(`--date: found ${JSON.stringify(values.date)}, expected a day of the calendar as YYYY-MM-DD`, commandSpec('readiness'));
  }
  const summaryFile = values['k6-summary'];
  const k6Summary = summaryFile ? parseK6Summary(readInputFile(cx, '--k6-summary', summaryFile, "the log of the load test's Job (kubectl logs job/load-test > k6.log)"), cx.shown(summaryFile)) : undefined;
  if (values.evidence) requireFolder(cx, '--evidence', values.evidence, 'the folder the printed evidence commands write (evidence/<env>/)');
  const evidence = values.evidence ? readEvidence(values.evidence, cx.shown(values.evidence) || '.') : undefined;
  const given = args.positionals.map((d) => cx.resolve(d));
  for (const dir of given) requireFolder(cx, 'DIST_DIR', dir, 'a rendered output folder (dist, or dist/<env>)');
  const dirs = (given.length ? given : [path.join(cx.root, 'dist')]).flatMap((d) => environmentDirs(d));
  if (dirs.length === 0) throw new Error('found no rendered environment (a folder with kustomization.yaml): run npm run synth, or name dist/<env>');
  if (k6Summary && dirs.length > 1) throw new UsageError('--k6-summary: a run judges one environment; name its folder (e.g. dist/staging)', commandSpec('readiness'));
  if (evidence && dirs.length > 1) throw new UsageError('--evidence: evidence is of one environment; name its folder (e.g. dist/production)', commandSpec('readiness'));
  // The worst verdict decides the exit code: NO-GO 1, READY 3, GO 0.
  let code = 0;
  for (const dir of dirs) {
    const env = readDistEnvironment(dir);
    const verdict = readiness({ name: env.name, location: cx.shown(dir) || '.', files: env.files, manualFiles: env.manualFiles, kustomizationKeys: env.kustomizationKeys, now, ...(k6Summary ? { k6Summary } : {}), ...(evidence ? { evidence } : {}) });
    cx.out(formatText(verdict));
    cx.out('');
    const exit = EXIT_CODES[verdict.decision];
    if (exit === EXIT_CODES['NO-GO'] || code === 0) code = exit;
  }
  return code;
}

/** The text of a file the user named; a missing or unreadable one is said plainly. */
function readInputFile(cx: Context, option: string, file: string, expected: string): string {
  const shown = cx.shown(file) || file;
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const found = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'a folder' : code === 'EACCES' ? 'a file that cannot be read (permissions)' : `a file that cannot be read (${code ?? 'error'})`;
    throw new ProblemsError([{ file: shown, path: '', message: `${option}: found ${found}, expected ${expected}` }]);
  }
}

async function promoteCommand(cx: Context, args: Parsed): Promise<number | void> {
  const values = args.values as Record<string, string | undefined> & { 'dry-run': boolean };
  if (args.positionals.length !== 1) throw new UsageError(`found ${args.positionals.length === 0 ? 'no environment' : `${args.positionals.length} arguments`}, expected the one environment to promote to (such as production)`, commandSpec('promote'));
  if (values.evidence) requireFolder(cx, '--evidence', values.evidence, 'the folder the evidence commands of the gate environment wrote (evidence/<env>/)');
  const { promote, PromoteError } = await import('./promote');
  try {
    const { refusals } = await promote({
      repo: values.repo!,
      environment: args.positionals[0]!,
      from: values.from!,
      ...(values.evidence ? { evidence: values.evidence } : {}),
      dryRun: values['dry-run'],
      nodeModules: path.join(ROOT, 'node_modules'),
      // This generator, for a revision whose generator it is: the same run as a child process's,
      // with the revision's tree as the working folder and the project.
      generator: {
        root: ROOT,
        key: cx.io.generatorKey ?? (BUNDLED ? cx.io.env.GRAVL_BUNDLE_KEY : undefined),
        // The running launcher's: in the bundle, the module that runs it (already loaded).
        keyOf: (tree) => (createRequire(LAUNCHER)(LAUNCHER) as { contentKeyOf(root: string): string }).contentKeyOf(tree),
        run: async (argv, tree, env) => {
          let stdout = '';
          let stderr = '';
          const code = await runCli(argv, { cwd: tree, root: tree, env, stdout: (text) => void (stdout += text), stderr: (text) => void (stderr += text) });
          return { code, stdout, stderr };
        },
      },
      cwd: cx.io.cwd,
      env: cx.io.env,
      print: (line) => cx.out(line),
    });
    if (refusals.length > 0) {
      for (const reason of refusals) cx.err(`refused: ${reason}`);
      cx.err(`promote: ${refusals.length} reason(s); nothing was moved`);
      return 1;
    }
  } catch (error) {
    if (error instanceof PromoteError) throw new ProblemsError([{ file: 'promote', path: '', message: error.message }]);
    throw error;
  }
}

async function schemaCommand(cx: Context): Promise<void> {
  const changed = await writeSchemaFile(cx.root);
  const files = schemaFiles(cx.root);
  cx.out(`${changed ? 'wrote' : 'unchanged:'} ${cx.shown(files.schema)}, ${cx.shown(files.validators)}`);
}

async function benchCommand(cx: Context, args: Parsed): Promise<number | void> {
  const runs = Number(args.values.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new UsageError(`--runs: found ${JSON.stringify(args.values.runs)}, expected a whole number of at least 1`, commandSpec('bench'));
  const { runBench } = await import('./bench');
  const { ok } = runBench({ root: cx.root, runs, tests: !args.values['no-tests'], print: (line) => cx.out(line) });
  if (!ok) return 1;
}

type Parsed = ParsedCommand;

const COMMANDS: Record<string, (cx: Context, args: Parsed) => Promise<number | void>> = {
  synth: synthCommand,
  seal: sealCommand,
  diff: diffCommand,
  readiness: readinessCommand,
  promote: promoteCommand,
  schema: schemaCommand,
  bench: benchCommand,
};

/**
 * npm's own settings among the commands' option names: a user's .npmrc sets them as well, so only
 * npm's --dry-run, set to true, is taken for the command's (a .npmrc that always dry-runs is
 * nobody's); a lost --scope, --key or --name leaves seal refusing or sealing strictly.
 */
const NPM_SETTINGS = new Set(['dry-run', 'scope', 'key', 'name']);

/**
 * Options npm kept for itself: without `--`, `npm run promote production --dry-run` hands npm the
 * option, which sets npm_config_dry_run=true in the script's environment and passes nothing on, so
 * the command would run without it (a real promotion where a dry run was meant), as `--from=REV`
 * would promote HEAD. Run as the npm script of the same name (npm_lifecycle_event), an option of
 * the command the command line lacks and npm set (npm_config_<option>, any value; `--no-tests` sets
 * npm_config_tests) is a wrong command line.
 */
export function optionsNpmKept(command: string, options: readonly string[], argv: readonly string[], env: NodeJS.ProcessEnv): string[] {
  if (env.npm_lifecycle_event !== command) return [];
  const setting = (name: string) => env[`npm_config_${name.replace(/-/g, '_')}`];
  return options.filter((name) => {
    if (argv.some((a) => a === `--${name}` || a.startsWith(`--${name}=`))) return false;
    if (NPM_SETTINGS.has(name)) return name === 'dry-run' && setting(name) === 'true';
    return setting(name) !== undefined || (name.startsWith('no-') && setting(name.slice(3)) !== undefined);
  });
}

/**
 * The folder the user ran the command in: npm runs a script in its package's root and names the
 * folder it was started in INIT_CWD, so `npm run synth -- --out ../out` run in environments/ means
 * environments/../out. Only when this process is the npm script of the command it runs, in that
 * package's root: a command started by another script (a test run by `npm test`, the revision's
 * generator promote starts) keeps its own working folder.
 */
export function userFolder(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): string {
  const command = argv[0] === undefined || argv[0].startsWith('-') ? 'synth' : argv[0];
  const scriptRoot = env.npm_package_json ? path.dirname(env.npm_package_json) : undefined;
  if (env.INIT_CWD && env.npm_lifecycle_event === command && scriptRoot && path.resolve(scriptRoot) === path.resolve(cwd)) return path.resolve(env.INIT_CWD);
  return cwd;
}

/**
 * Runs one command line (`argv` without the program: `['synth', '--out', 'dist']`) and returns its
 * exit code: 0 done; 1 a problem in the input, or a result that calls for it (diff --exit-code,
 * readiness NO-GO, a refused promote); 2 a wrong command line; 3 READY. Every problem is printed on
 * stderr as one line per problem, never a stack trace (GRAVL_DEBUG=1 prints the error whole).
 */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  if (argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    io.stdout(programUsage());
    return 0;
  }
  const command = argv[0] === undefined || argv[0].startsWith('-') ? 'synth' : argv[0];
  const rest = argv[0] === command ? argv.slice(1) : argv;
  const spec = commandSpec(command);
  const run = COMMANDS[command];
  if (!spec || !run) {
    io.stderr(`unknown command ${JSON.stringify(command)}\n\n${programUsage()}`);
    return 2;
  }
  const kept = optionsNpmKept(command, Object.keys(spec.options), rest, io.env);
  if (kept.length > 0) {
    const options = kept.map((o) => `--${o}`).join(', ');
    const variables = kept.map((o) => `npm_config_${o.replace(/^no-/, '').replace(/-/g, '_')}`).join(', ');
    io.stderr(
      `${command}: npm took ${options} as its own option${kept.length > 1 ? 's' : ''} and did not pass ${kept.length > 1 ? 'them' : 'it'} on (${variables} ${kept.length > 1 ? 'are' : 'is'} set), so nothing was run: ` +
        `put -- before the command's arguments (npm run ${command} -- ${kept.map((o) => `--${o}`).join(' ')} ...); where an .npmrc or an NPM_CONFIG_ variable sets it, run node bin/gravl.cjs ${command} ... instead\n`,
    );
    return 2;
  }
  const cx = contextOf(io);
  try {
    const args = parseCommand(spec, rest, cx.root, io.cwd);
    if (args.help) {
      io.stdout(commandUsage(spec));
      return 0;
    }
    return (await run(cx, args)) ?? 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr(`${command}: ${error.message}\n\n${commandUsage(error.spec ?? spec)}`);
      return 2;
    }
    if (error instanceof ProblemsError) {
      for (const line of error.message.split('\n')) cx.err(line);
      cx.err(`${command}: ${error.problems.length} problem(s)${command === 'synth' || command === 'seal' ? '; nothing was written' : ''}`);
    } else if (io.env.GRAVL_DEBUG) {
      // As console.error prints it: inspected, in colour on a terminal that shows colours.
      cx.err(formatWithOptions(io.stderrColors ? { colors: true } : {}, error));
    } else {
      cx.err(`${command} failed: ${error instanceof Error ? error.message : String(error)} (set GRAVL_DEBUG=1 for details)`);
    }
    return 1;
  }
}
