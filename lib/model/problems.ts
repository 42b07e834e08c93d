/**
 * A problem found in an input file: where it is (file, line, column, field path) and one sentence
 * saying what was found and what is expected. Synth prints one line per problem and exits 1.
 */
export interface Problem {
  readonly file: string;
  /** 1-based line of the offending node, when known. */
  readonly line?: number;
  readonly column?: number;
  /** Dotted field path ("backend.resources.limits.memory"); empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** One line: `file:line:col: path: message`. */
export function formatProblem(problem: Problem): string {
  const where = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}:${problem.column ?? 1}`;
  return problem.path ? `${where}: ${problem.path}: ${problem.message}` : `${where}: ${problem.message}`;
}

/** Thrown when inputs are wrong; carries every problem found, never a stack trace for the user. */
export class ProblemsError extends Error {
  constructor(readonly problems: readonly Problem[]) {
    super(problems.map(formatProblem).join('\n'));
    this.name = 'ProblemsError';
  }
}

/** How a value reads in a message: strings quoted, structures named. */
export function describeValue(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}
