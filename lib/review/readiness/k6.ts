/**
 * Reads the summary of a real k6 run: the JSON that the load test's handleSummary prints after a
 * `K6_SUMMARY_JSON` marker (so `kubectl logs job/load-test` can be passed as it is), or a file
 * holding only that JSON.
 */
/** What k6's handleSummary reports (the parts readiness reads). */
export interface K6Summary {
  readonly metrics: Record<string, { readonly values?: Record<string, number> }>;
  /** What the load test adds: the base URL it ran against. */
  readonly gravl?: { readonly apiUrl?: string; readonly release?: string };
}

const MARKER = 'K6_SUMMARY_JSON ';

export function parseK6Summary(text: string, file: string): K6Summary {
  const line = text.split('\n').reverse().find((l) => l.startsWith(MARKER));
  const json = line ? line.slice(MARKER.length) : text.trim();
  let data: unknown;
  try {
    data = JSON.parse(json);
  } catch {
    throw new Error(`${file}: found no k6 summary (a ${MARKER.trim()} line, or the JSON of handleSummary's data)`);
  }
  const metrics = (data as { metrics?: unknown } | null)?.metrics;
  if (!metrics || typeof metrics !== 'object') throw new Error(`${file}: the k6 summary has no metrics`);
  return data as K6Summary;
}
