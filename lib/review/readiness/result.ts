/**
 * What a readiness criterion answers, how the criteria build their answers, and the verdict the
 * answers add up to.
 */

/**
 * PASS, FAIL, WARN (findings that do not fail here; a blocking one still keeps the verdict at READY,
 * a non-blocking one is advisory) or RUNTIME (no evidence yet: the command collects it).
 */
export type Status = 'PASS' | 'FAIL' | 'WARN' | 'RUNTIME';

/** The three verdicts: a blocking criterion fails; everything the files decide passes but runtime evidence is missing; everything passes. */
export type Decision = 'NO-GO' | 'READY' | 'GO';

export interface CriterionResult {
  readonly id: string;
  readonly title: string;
  readonly blocking: boolean;
  readonly status: Status;
  /** The objects and fields looked at, or what is missing. */
  readonly evidence: readonly string[];
  /** For RUNTIME: the command that collects its evidence. */
  readonly command?: string;
  /** For FAIL and WARN, where known: the commands that fix it. */
  readonly fix?: readonly string[];
}

/** PASS with the evidence when there is no problem; FAIL with the problems otherwise. */
export function result(id: string, title: string, problems: string[], evidence: string[], blocking = true): CriterionResult {
  return { id, title, blocking, status: problems.length > 0 ? 'FAIL' : 'PASS', evidence: problems.length > 0 ? problems : evidence };
}

/**
 * Blocking everywhere, but problems fail in production only: elsewhere they warn, which keeps the
 * verdict at READY (nothing a GO may rest on). No problem passes.
 */
export function productionVerdict(subject: { readonly production: boolean }, id: string, title: string, problems: string[], evidence: string[], fix: string[] = []): CriterionResult {
  if (problems.length === 0) return { id, title, blocking: true, status: 'PASS', evidence };
  return { id, title, blocking: true, status: subject.production ? 'FAIL' : 'WARN', evidence: problems, ...(fix.length ? { fix } : {}) };
}

/**
 * NO-GO when a blocking criterion fails; READY when none fails but a blocking one still waits for
 * runtime evidence or carries a warning (a stand-in certificate or a receiver that cannot deliver
 * in staging: not a failure there, but nothing a GO may rest on); GO only when every blocking
 * criterion passed (runtime ones on evidence). A non-blocking WARN (advisory) does not hold GO.
 */
export function decision(results: readonly CriterionResult[]): Decision {
  const blocking = results.filter((r) => r.blocking);
  if (blocking.some((r) => r.status === 'FAIL')) return 'NO-GO';
  if (blocking.some((r) => r.status !== 'PASS')) return 'READY';
  return 'GO';
}
