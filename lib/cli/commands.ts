/**
 * What each command accepts, as data: lib/cli/main.ts parses the command line with it, `--help`
 * prints it, and a test holds the README's command table to it. Adding an option here is the only
 * way to add one, so the three never disagree.
 */
import * as path from 'node:path';
import { parseArgs } from 'node:util';

/** One option of a command. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  /** The placeholder of the value in the usage (`DIR`, `FILE`); string options only. */
  readonly value?: string;
  /** Shown in the usage and applied when the option is absent. */
  readonly default?: string;
  /** A path, resolved against the project's root when defaulted, and against the working folder when given. */
  readonly path?: boolean;
  /** One line on what it does. */
  readonly description: string;
}

/** One command: `npm run <name> -- [options]`. */
export interface CommandSpec {
  readonly name: string;
  /** One line, as the README's command table and the command list say it. */
  readonly summary: string;
  /** The positional arguments, as the usage line shows them (`[DIST_DIR...]`). */
  readonly positionals?: string;
  readonly options: Readonly<Record<string, OptionSpec>>;
  /** Lines printed after the options: exit codes, examples. */
  readonly notes?: readonly string[];
}

const PATH_OPTIONS = {
  environments: { type: 'string', value: 'DIR', default: 'environments', path: true, description: 'the environment files (<env>.yaml)' },
  secrets: { type: 'string', value: 'DIR', default: 'secrets', path: true, description: 'the sealed values and sealing certificates (<env>/)' },
} as const satisfies Record<string, OptionSpec>;

/** Every command, in the order the help lists them. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: 'synth',
    summary: 'validate every environment file and render each environment into DIR/<env>/',
    options: {
      out: { type: 'string', value: 'DIR', default: 'dist', path: true, description: 'the output folder, replaced as a whole only when every environment rendered' },
      ...PATH_OPTIONS,
      remove: { type: 'string', value: 'ENV', description: 'confirm that ENV, whose file is gone, is to disappear from the output (repeatable, or comma-separated)' },
    },
    notes: ['Exit codes: 0 rendered; 1 a problem in the input (nothing written); 2 a wrong command line.'],
  },
  {
    name: 'diff',
    summary: 'what a fresh render changes, object by object, with risky changes flagged first',
    options: {
      base: { type: 'string', value: 'GIT_REF', description: 'compare with dist/ as committed at GIT_REF (default: dist/ as it is on disk)' },
      format: { type: 'string', value: 'FORMAT', default: 'text', description: 'text, or markdown for a pull-request comment' },
      'exit-code': { type: 'boolean', description: 'exit 1 when anything differs' },
      dist: { type: 'string', value: 'DIR', default: 'dist', path: true, description: 'the rendered output to compare with' },
      ...PATH_OPTIONS,
    },
    notes: ['Exit codes: 0 compared (and, with --exit-code, no difference); 1 a difference with --exit-code, or a problem; 2 a wrong command line.'],
  },
  {
    name: 'readiness',
    summary: 'the go/no-go matrix of rendered environments (default: every dist/<env>)',
    positionals: '[DIST_DIR...]',
    options: {
      evidence: { type: 'string', value: 'DIR', path: true, description: 'the runtime evidence of one environment (rollouts, migrations, k6 log, image scans), as the printed commands collect it' },
      'k6-summary': { type: 'string', value: 'FILE', path: true, description: "the log (or summary JSON) of the environment's load-test run" },
      date: { type: 'string', value: 'YYYY-MM-DD', description: "judge the sealed values' ages on this day (default: today)" },
    },
    notes: ['Exit codes: 0 GO; 3 READY (the files pass, runtime evidence is missing); 1 NO-GO or a problem; 2 a wrong command line. With several environments the worst decides.'],
  },
  {
    name: 'seal',
    summary: "seal a value (standard input, or generated) into an environment's sealed values",
    options: {
      env: { type: 'string', value: 'ENV', description: 'the environment (environments/ENV.yaml); required' },
      namespace: { type: 'string', value: 'NS', description: 'the namespace of the Secret; required' },
      name: { type: 'string', value: 'NAME', description: 'the name of the Secret; required' },
      key: { type: 'string', value: 'KEY', description: 'the key in the Secret; required' },
      scope: { type: 'string', value: 'SCOPE', default: 'strict', description: 'strict, namespace-wide or cluster-wide' },
      type: { type: 'string', value: 'TYPE', description: 'the type of the Secret (default: Opaque)' },
      generate: { type: 'boolean', description: 'generate a random value instead of reading standard input' },
      length: { type: 'string', value: 'N', default: '40', description: 'the length of a generated value (32 or more)' },
      'keep-newline': { type: 'boolean', description: 'keep a trailing newline of standard input' },
      'fetch-cert': { type: 'boolean', description: "write the controller's certificate to secrets/ENV/sealing-cert.pem (kubectl, current context) and list the values to seal again" },
      from: { type: 'string', value: 'FILE', description: 'with --fetch-cert: read the certificate kubeseal --fetch-cert wrote instead of asking the cluster' },
      context: { type: 'string', value: 'CONTEXT', description: 'with --fetch-cert: the kubectl context (default: the current one)' },
      'controller-namespace': { type: 'string', value: 'NS', default: 'kube-system', description: "with --fetch-cert: the sealed-secrets controller's namespace" },
      'controller-name': { type: 'string', value: 'NAME', default: 'sealed-secrets-controller', description: "with --fetch-cert: the sealed-secrets controller's Service" },
      'stand-in-cert': { type: 'boolean', description: 'write a stand-in certificate, marked as one (its key is discarded: production is never GO on it)' },
      ...PATH_OPTIONS,
    },
    notes: ['Exit codes: 0 sealed (or certificate written); 1 a problem (nothing written); 2 a wrong command line.'],
  },
  {
    name: 'promote',
    summary: "move the ref an environment follows (production) to a revision of main whose staging gate is GO; prints the git push",
    positionals: 'ENV',
    options: {
      from: { type: 'string', value: 'REV', default: 'HEAD', description: 'the revision to promote (a rollback: the revision promoted before)' },
      evidence: { type: 'string', value: 'DIR', path: true, description: "the gate environment's runtime evidence (default: evidence/<gate>/ as committed at REV)" },
      'dry-run': { type: 'boolean', description: 'check and show everything, move nothing' },
      repo: { type: 'string', value: 'DIR', default: '.', path: true, description: 'the git work tree of the project' },
    },
    notes: [
      'Refuses (exit 1, with the reason) when the working tree has changes, REV is not on the mainline, dist/ at REV is not what its sources render,',
      "the gate environment (gitops.promotedFrom) is not GO at REV on its evidence, or ENV is NO-GO at REV. Never pushes.",
      'Exit codes: 0 promoted (or, with --dry-run, would be); 1 refused or a problem; 2 a wrong command line.',
    ],
  },
  {
    name: 'schema',
    summary: 'rewrite environments/environment.schema.json and the precompiled validators from lib/model/schema.ts',
    options: {},
  },
  {
    name: 'bench',
    summary: 'time synth, diff, readiness, 2/20/100 environments, the off-site restore and npm test against kubectl kustomize, the stock cdk8s flow and the targets',
    options: {
      runs: { type: 'string', value: 'N', default: '5', description: 'runs of each measurement (the median is reported)' },
      'no-tests': { type: 'boolean', description: 'leave out the one timed run of npm test (about 30 s of the run)' },
    },
    notes: ['Takes about two minutes on 2 cores (one and a half with --no-tests); each line is printed as it is measured.', 'Exit codes: 0 every target met; 1 a target missed or a problem; 2 a wrong command line.'],
  },
];

/** The spec of a command, if it exists. */
export function commandSpec(name: string): CommandSpec | undefined {
  return COMMAND_SPECS.find((c) => c.name === name);
}

/** How an option reads on the left of the usage: `--out DIR`, `--exit-code`. */
export function optionSynopsis(name: string, option: OptionSpec): string {
  return option.type === 'string' ? `--${name} ${option.value ?? 'VALUE'}` : `--${name}`;
}

const column = (rows: readonly (readonly [string, string])[]): string[] => {
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => `  ${left.padEnd(width)}${right}`);
};

/** The help of one command: usage line, summary, options with their defaults, notes. */
export function commandUsage(spec: CommandSpec): string {
  const rows: [string, string][] = Object.entries(spec.options).map(([name, option]) => [
    optionSynopsis(name, option),
    option.default === undefined ? option.description : `${option.description} (default: ${option.default})`,
  ]);
  rows.push(['-h, --help', 'print this help and exit']);
  const usage = `Usage: npm run ${spec.name} --${Object.keys(spec.options).length ? ' [options]' : ''}${spec.positionals ? ` ${spec.positionals}` : ''}`;
  return [usage, '', `${spec.summary[0]!.toUpperCase()}${spec.summary.slice(1)}.`, '', 'Options:', ...column(rows), ...(spec.notes?.length ? ['', ...spec.notes] : []), ''].join('\n');
}

/** The help of the program: every command with its summary. */
export function programUsage(): string {
  return [
    'Usage: npm run COMMAND -- [options]   (or: node bin/gravl.cjs COMMAND [options])',
    '',
    "Gravl's Kubernetes manifests: render, review and judge them.",
    '',
    'Commands:',
    ...column(COMMAND_SPECS.map((c) => [c.name, c.summary])),
    '',
    "Run 'npm run COMMAND -- --help' for a command's options. With no command, synth runs.",
    '',
  ].join('\n');
}

/** A wrong command line: runCli prints the message and the usage, and exits 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly spec?: CommandSpec,
  ) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A parsed command line: option values (defaults applied, paths resolved) and positionals. */
export interface ParsedCommand {
  readonly help: boolean;
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly strings: Readonly<Record<string, readonly string[]>>;
  readonly positionals: readonly string[];
}

/**
 * Parses argv against the spec. Unknown options, missing values and unexpected positionals throw a
 * UsageError; `-h`/`--help` anywhere asks for the help. A repeated string option keeps its last
 * value in `values` and every value in `strings`. A defaulted path resolves against `root` (the
 * project), a given one against `cwd` (the working folder the command runs in).
 */
export function parseCommand(spec: CommandSpec, argv: readonly string[], root: string, cwd: string): ParsedCommand {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = { help: { type: 'boolean', short: 'h' } };
  for (const [name, option] of Object.entries(spec.options)) options[name] = option.type === 'string' ? { type: 'string', multiple: true } : { type: 'boolean' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (error) {
    // node:util's messages name the option; the usage that follows says what is accepted.
    const message = error instanceof Error ? error.message : String(error);
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new UsageError(unknown ? `unknown option ${unknown[1]}` : message.split('. ')[0]!.replace(/\.$/, ''), spec);
  }
  const given = parsed.values as Record<string, unknown>;
  const help = given.help === true;
  if (!help && parsed.positionals.length > 0 && !spec.positionals) throw new UsageError(`unexpected argument ${JSON.stringify(parsed.positionals[0])}`, spec);
  const values: Record<string, string | boolean | undefined> = {};
  const strings: Record<string, string[]> = {};
  for (const [name, option] of Object.entries(spec.options)) {
    if (option.type === 'boolean') {
      values[name] = given[name] === true;
      continue;
    }
    const list = (given[name] as string[] | undefined) ?? [];
    if (list.length > 0) {
      strings[name] = option.path ? list.map((v) => path.resolve(cwd, v)) : list;
      values[name] = strings[name]!.at(-1);
    } else if (option.default !== undefined) {
      values[name] = option.path ? path.resolve(root, option.default) : option.default;
      strings[name] = [values[name] as string];
    } else {
      strings[name] = [];
    }
  }
  return { help, values, strings, positionals: parsed.positionals };
}
