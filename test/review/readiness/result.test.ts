/**
 * How criteria answers add up: a blocking FAIL is NO-GO, a blocking WARN or RUNTIME holds READY,
 * and only blocking passes give GO; findings fail in production and warn elsewhere.
 */
import { describe, expect, it } from 'vitest';
import { decision, productionVerdict, result, type CriterionResult, type Status } from '../../../lib/review/readiness/result';

const answer = (status: Status, blocking = true): CriterionResult => ({ id: status.toLowerCase(), title: status, blocking, status, evidence: [] });

describe('decision', () => {
  it('gives GO only when every blocking criterion passed, whatever advisory ones say', () => {
    expect(decision([answer('PASS'), answer('WARN', false), answer('FAIL', false)])).toBe('GO');
  });

  it('holds READY while a blocking criterion waits for runtime evidence or warns', () => {
    expect(decision([answer('PASS'), answer('RUNTIME')])).toBe('READY');
    expect(decision([answer('PASS'), answer('WARN')])).toBe('READY');
  });

  it('fails to NO-GO when any blocking criterion fails', () => {
    expect(decision([answer('RUNTIME'), answer('WARN'), answer('FAIL')])).toBe('NO-GO');
  });
});

describe('result and productionVerdict', () => {
  it('passes with the evidence when there is no problem, and fails with the problems otherwise', () => {
    expect(result('x', 'X', [], ['seen'])).toMatchObject({ status: 'PASS', evidence: ['seen'], blocking: true });
    expect(result('x', 'X', ['wrong'], ['seen'], false)).toMatchObject({ status: 'FAIL', evidence: ['wrong'], blocking: false });
  });

  it('fails a finding in production and warns about it elsewhere, with its fix', () => {
    expect(productionVerdict({ production: true }, 'x', 'X', ['wrong'], ['seen'], ['fix it'])).toMatchObject({ status: 'FAIL', evidence: ['wrong'], fix: ['fix it'] });
    expect(productionVerdict({ production: false }, 'x', 'X', ['wrong'], ['seen'])).toMatchObject({ status: 'WARN', evidence: ['wrong'] });
    expect(productionVerdict({ production: false }, 'x', 'X', [], ['seen'])).toMatchObject({ status: 'PASS', evidence: ['seen'] });
  });
});
