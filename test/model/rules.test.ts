// The rules of the environment file, run on the parsed file alone (test/model/load.test.ts runs
// them through the loader, with the file and line of each problem).
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../lib/model/formats';
import { checkRules, LOKI_INDEX_PERIOD_HOURS } from '../../lib/model/rules';

/** The problems of the rules about one field, for a file holding only that field. */
function retentionProblems(retention: unknown): string[] {
  return checkRules({ logging: { loki: { retention } } })
    .filter((p) => p.path.join('.') === 'logging.loki.retention')
    .map((p) => p.message);
}

describe('the Loki retention rule', () => {
  it('reads durations as Loki does: units largest first, each once', () => {
    expect(parseDuration('168h')).toBe(168 * 3_600_000);
    expect(parseDuration('30d')).toBe(30 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1y')).toBe(365 * 86_400_000);
    expect(parseDuration('1d12h')).toBe(36 * 3_600_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('0')).toBe(0);
    for (const wrong of ['', '7', '30m1h', 'h', '1.5h', '-24h', '7 days', '1H', '1d1d']) expect(parseDuration(wrong), wrong).toBeUndefined();
  });

  it('accepts retention of whole days in any unit', () => {
    for (const retention of ['24h', '168h', '30d', '2w', '1y', '1w3d', '720h']) expect(retentionProblems(retention), retention).toEqual([]);
  });

  it('rejects a retention that is not a multiple of 24h, naming the index period', () => {
    expect(LOKI_INDEX_PERIOD_HOURS).toBe(24);
    for (const retention of ['36h', '1d12h', '12h', '1441m', '0']) {
      expect(retentionProblems(retention), retention).toEqual([
        expect.stringMatching(new RegExp(`^found "${retention}", expected a whole number of days, at least 24h \\(the index period is 24h\\)`)),
      ]);
    }
  });

  it('rejects a nonsense duration', () => {
    for (const retention of ['forever', '7 days', '30m1h', '']) {
      expect(retentionProblems(retention), retention).toEqual([expect.stringMatching(/^found "[^"]*", expected a duration such as 168h, 30d or 2w/)]);
    }
  });
});
