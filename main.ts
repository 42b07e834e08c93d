/**
 * The one entry point: reads the command line, the process environment and the environment files,
 * and hands plain values to lib/. Commands:
 *
 *   synth [--out DIR] [--environments DIR] [--secrets DIR]
 *                                            render every environment into DIR/<env>/ (default dist)
 *   seal --env E --namespace N --name S --key K [--scope strict|namespace-wide|cluster-wide]
 *        [--type T] [--generate [--length L]] [--keep-newline]
 *                                            seal a value (standard input, or generated for a
 *                                            generated key) into secrets/<env>/sealed-values.yaml
 *   seal --fetch-cert --env E [--from FILE] [--context C] [--controller-namespace N] [--controller-name S]
 *                                            write the controller's certificate (kubectl, or a file
 *                                            kubeseal --fetch-cert wrote) to secrets/<env>/sealing-cert.pem
 *   seal --stand-in-cert --env E             write a stand-in certificate (marked so; its key is discarded)
 *   diff [--base GIT_REF] [--format text|markdown] [--exit-code]
 *                                            what a fresh render changes against dist/ (or dist/ at GIT_REF)
 *   readiness [DIST_DIR...] [--evidence DIR] [--k6-summary FILE] [--date YYYY-MM-DD]
 *                                            the go/no-go matrix of rendered output (default dist/*):
 *                                            exit 0 GO, 1 NO-GO (or an error), 3 READY
 *   schema                                   write environments/environment.schema.json (for editors)
 *                                            and the precompiled validators
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

/** The sealed values file of an environment, if it has one. */
function sealedValuesOf(secretsDir: string, name: string): { file: string; text?: string } {
  const file = path.join(secretsDir, name, 'sealed-values.yaml');
  const shown = path.relative(process.cwd(), file);
  return fs.existsSync(file) ? { file: shown, text: fs.readFileSync(file, 'utf8') } : { file: shown };
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

const SCHEMA_SOURCES = [path.join(ROOT, 'lib', 'config', 'schema.ts'), path.join(ROOT, 'lib', 'secrets', 'sealed-values.ts'), path.join(ROOT, 'lib', 'config', 'formats.ts')];
const SCHEMA_FILE = path.join(ROOT, 'environments', 'environment.schema.json');
const VALIDATORS_FILE = path.join(ROOT, 'lib', 'config', 'validators.generated.js');

/** Rewrites the JSON Schema and the precompiled validators from their sources; returns whether either changed. */
function writeSchemaFile(): boolean {
  const { schemaJson, validatorsJs } = load<typeof import('./lib/config/schema-file')>('./lib/config/schema-file');
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

async function synthCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      out: { type: 'string', default: path.join(ROOT, 'dist') },
      environments: { type: 'string', default: path.join(ROOT, 'environments') },
      secrets: { type: 'string', default: path.join(ROOT, 'secrets') },
    },
    strict: true,
  });
  // Synth validates against the JSON rendering of the schema: refresh it when its source changed.
  if (schemaStale() && writeSchemaFile()) console.log(`updated ${path.relative(process.cwd(), SCHEMA_FILE)} and the validators from lib/config/schema.ts`);
  const { synth, formatSummary } = load<typeof import('./lib/synth/synth')>('./lib/synth/synth');
  const { copyTree } = load<typeof import('./lib/synth/write')>('./lib/synth/write');
  const outDir = path.resolve(values.out);
  const summaries = await synth(readEnvironmentSources(path.resolve(values.environments), path.resolve(values.secrets)), outDir);
  const shown = path.relative(process.cwd(), outDir) || '.';
  for (const summary of summaries) console.log(formatSummary(shown, summary));
  // Under `cdk8s synth` the CLI wants the manifests in its own (emptied) output folder too.
  const cliOut = process.env.CDK8S_OUTDIR;
  if (cliOut && path.resolve(cliOut) !== outDir) copyTree(outDir, path.resolve(cliOut));
}

async function sealCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      env: { type: 'string' },
      namespace: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      scope: { type: 'string', default: 'strict' },
      type: { type: 'string' },
      generate: { type: 'boolean', default: false },
      length: { type: 'string', default: '40' },
      'keep-newline': { type: 'boolean', default: false },
      secrets: { type: 'string', default: path.join(ROOT, 'secrets') },
      environments: { type: 'string', default: path.join(ROOT, 'environments') },
      'fetch-cert': { type: 'boolean', default: false },
      from: { type: 'string' },
      context: { type: 'string' },
      'controller-namespace': { type: 'string', default: 'kube-system' },
      'controller-name': { type: 'string', default: 'sealed-secrets-controller' },
      'stand-in-cert': { type: 'boolean', default: false },
    },
    strict: true,
  });
  if (values['fetch-cert'] || values['stand-in-cert']) {
    certificateCommand(values);
    return;
  }
  const { checkSealRequest, sealIntoValues } = load<typeof import('./lib/secrets/seal-command')>('./lib/secrets/seal-command');
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
  const dir = path.join(path.resolve(values.secrets), request.environment);
  const certFile = path.join(dir, 'sealing-cert.pem');
  const envFile = path.join(path.resolve(values.environments), `${request.environment}.yaml`);
  if (problems.length === 0 && !fs.existsSync(envFile)) problems.push(`--env: found ${JSON.stringify(request.environment)}, expected an environment with a file environments/${request.environment}.yaml`);
  if (problems.length === 0 && !fs.existsSync(certFile)) problems.push(`${path.relative(process.cwd(), certFile)}: found no sealing certificate, expected the controller's (npm run seal -- --fetch-cert --env ${request.environment})`);
  if (problems.length > 0) throw new ProblemsError(problems.map((message) => ({ file: 'seal', path: '', message })));

  // What the constructs declare about this key: generated or provided, and in which form.
  const declared = declaredKeys(path.resolve(values.environments), path.resolve(values.secrets), request.environment);
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
}

/** The secret keys an environment's constructs read, with their classes (its tree built, nothing rendered). */
function declaredKeys(environmentsDir: string, secretsDir: string, name: string): import('./lib/secrets/secrets').DeclaredKey[] {
  const { loadEnvironments } = load<typeof import('./lib/config/load')>('./lib/config/load');
  const { GravlEnvironment } = load<typeof import('./lib/gravl')>('./lib/gravl');
  const source = readEnvironmentSources(environmentsDir, secretsDir).find((s) => path.basename(s.file) === `${name}.yaml`)!;
  const loaded = loadEnvironments([source]);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  return new GravlEnvironment(loaded.environments[0]!, { declarationsOnly: true }).secrets.declarations();
}

/** `seal --fetch-cert` (the controller's certificate) and `seal --stand-in-cert` (one made here, marked as a stand-in). */
function certificateCommand(values: { env?: string; from?: string; context?: string; secrets: string; environments: string; 'controller-namespace': string; 'controller-name': string; 'stand-in-cert': boolean }): void {
  const { checkFetchedCertificate, fetchWithKubectl, makeStandInCertificate } = load<typeof import('./lib/secrets/fetch-cert')>('./lib/secrets/fetch-cert');
  const { markedCertificate, readSealingCertificate } = load<typeof import('./lib/secrets/certificate')>('./lib/secrets/certificate');
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
  const { parseSealedValues } = load<typeof import('./lib/secrets/sealed-values')>('./lib/secrets/sealed-values');
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

async function diffCommand(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      base: { type: 'string' },
      format: { type: 'string', default: 'text' },
      'exit-code': { type: 'boolean', default: false },
      environments: { type: 'string', default: path.join(ROOT, 'environments') },
      secrets: { type: 'string', default: path.join(ROOT, 'secrets') },
      dist: { type: 'string', default: path.join(ROOT, 'dist') },
    },
    strict: true,
  });
  if (values.format !== 'text' && values.format !== 'markdown') throw new Error(`--format: found ${JSON.stringify(values.format)}, expected text or markdown`);
  const { renderAll } = load<typeof import('./lib/synth/synth')>('./lib/synth/synth');
  const { readTree, readTreeAtRef, runDiff, treeOf } = load<typeof import('./lib/diff')>('./lib/diff');
  // The head is rendered in memory: diff never writes dist/.
  // The diff compares objects: READINESS.md is not rendered for it.
  const { environments, shared, production } = renderAll(readEnvironmentSources(path.resolve(values.environments), path.resolve(values.secrets)), { readiness: false });
  const dist = path.resolve(values.dist);
  // --base reads dist/ as committed at that ref of the repository that holds it.
  const base = values.base ? readTreeAtRef(path.dirname(dist), values.base, dist) : readTree(dist);
  const result = runDiff({ head: treeOf(environments, shared), base, production: new Set(production), format: values.format });
  if (result.output) process.stdout.write(result.output.endsWith('\n') ? result.output : `${result.output}\n`);
  if (values['exit-code'] && result.differs) process.exitCode = 1;
}

async function readinessCommand(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    options: { 'k6-summary': { type: 'string' }, evidence: { type: 'string' }, date: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const { environmentDirs, readDistEnvironment } = load<typeof import('./lib/inspect/dist')>('./lib/inspect/dist');
  const { readiness, formatText, EXIT_CODES } = load<typeof import('./lib/readiness/report')>('./lib/readiness/report');
  const { parseK6Summary } = load<typeof import('./lib/readiness/k6')>('./lib/readiness/k6');
  const { readEvidence } = load<typeof import('./lib/readiness/evidence')>('./lib/readiness/evidence');
  if (values.date !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(values.date)) throw new Error(`--date: found ${JSON.stringify(values.date)}, expected YYYY-MM-DD`);
  const now = values.date ? new Date(`${values.date}T00:00:00Z`) : new Date();
  const k6Summary = values['k6-summary'] ? parseK6Summary(fs.readFileSync(values['k6-summary'], 'utf8'), values['k6-summary']) : undefined;
  const evidence = values.evidence ? readEvidence(path.resolve(values.evidence), values.evidence) : undefined;
  const dirs = (positionals.length ? positionals : [path.join(ROOT, 'dist')]).flatMap((d) => environmentDirs(path.resolve(d)));
  if (dirs.length === 0) throw new Error('found no rendered environment (a folder with kustomization.yaml)');
  if (k6Summary && dirs.length > 1) throw new Error('--k6-summary: a run judges one environment; name its folder (e.g. dist/staging)');
  if (evidence && dirs.length > 1) throw new Error('--evidence: evidence is of one environment; name its folder (e.g. dist/production)');
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

async function schemaCommand(argv: string[]): Promise<void> {
  parseArgs({ args: argv, options: {}, strict: true });
  const changed = writeSchemaFile();
  console.log(`${changed ? 'wrote' : 'unchanged:'} ${path.relative(process.cwd(), SCHEMA_FILE)}, ${path.relative(process.cwd(), VALIDATORS_FILE)}`);
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
  seal: sealCommand,
  diff: diffCommand,
  readiness: readinessCommand,
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
