/**
 * Options a generator takes from code, never from an environment file (the model validates
 * those): a wrong one is a programming error, reported as one `Error` naming every wrong field.
 */
import { describeValue } from '../model/problems';

/** Records a problem when `ok` is false: `field`, the value found and what was expected. */
export type CheckOption = (field: string, ok: boolean, value: unknown, expected: string) => void;

/**
 * Runs `checks` and throws one `Error` listing every wrong option, one line each, as
 * `generator: field: found X, expected Y`; returns when all are right.
 */
export function checkCodeOptions(generator: string, checks: (check: CheckOption) => void): void {
  const wrong: string[] = [];
  checks((field, ok, value, expected) => {
    if (!ok) wrong.push(`${generator}: ${field}: found ${describeValue(value)}, expected ${expected}`);
  });
  if (wrong.length > 0) throw new Error(wrong.join('\n'));
}

/**
 * An absolute, normalised path of plain segments (letters, digits, `.`, `_`, `-`; no `.` or `..`
 * segment, no trailing slash): free of glob and relabel-replacement metacharacters (`*`, `$`, ...).
 */
export function isPlainAbsolutePath(value: unknown): boolean {
  if (typeof value !== 'string' || !value.startsWith('/')) return false;
  return value.slice(1).split('/').every((s) => /^[A-Za-z0-9._-]+$/.test(s) && s !== '.' && s !== '..');
}
