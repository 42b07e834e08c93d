/**
 * The engine of `npm run diff`: compares two rendered trees object by object and flags changes
 * that weaken an environment.
 */
import { allRisks, diffTrees, hasDifferences } from './compare';
import { formatMarkdown, formatText } from './format';
import type { Tree } from './tree';

export { allRisks, diffTrees, diffObject, hasDifferences, objectsOf, REDACTED } from './compare';
export type { AddedObject, ChangedObject, DiffOptions, DiffReport, EnvironmentDiff, FieldChange, ObjectDiff, RemovedObject } from './compare';
export { formatMarkdown, formatText, formatValue } from './format';
export type { RiskFlag, RiskRule, Severity } from './risk';
export { hasUncommittedChanges, readTree, readTreeAtRef, treeOf } from './tree';
export type { Tree } from './tree';

/** What `npm run diff` compares and how it prints the result. */
export interface DiffCommandOptions {
  /** The tree under review (usually the working tree's `dist/`). */
  readonly head: Tree;
  /** The tree it is compared against (usually `dist/` at the base ref). */
  readonly base: Tree;
  /** Names of the production environments. */
  readonly production: ReadonlySet<string>;
  readonly format: 'text' | 'markdown';
}

/** The result of one comparison. */
export interface DiffCommandResult {
  /** The formatted report: empty in text format when nothing differs; a "no changes" comment in Markdown. */
  readonly output: string;
  /** Some environment gains, loses or changes an object. */
  readonly differs: boolean;
  /** Some change is flagged as risky. */
  readonly risky: boolean;
}

/** Compares `base` with `head` and formats the report: the whole work of `npm run diff` but reading and printing. */
export function runDiff(options: DiffCommandOptions): DiffCommandResult {
  const report = diffTrees(options.base, options.head, { production: options.production });
  const output = options.format === 'markdown' ? formatMarkdown(report) : formatText(report);
  return { output, differs: hasDifferences(report), risky: allRisks(report).length > 0 };
}
