/**
 * Bad input in secrets/<env>/sealed-values.yaml is reported as an environment file's is: file,
 * line, column, field path, what was found and what is expected.
 */
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../../lib/model/problems';
import { parseSealedValues } from '../../lib/model/sealed-values';

const FILE = 'secrets/staging/sealed-values.yaml';
const SEALED = 'A'.repeat(80);
const problems = (text: string) => parseSealedValues(FILE, text).problems.map(formatProblem);

describe('parseSealedValues', () => {
  it('reads a good file, and takes an absent or empty one as no values', () => {
    const text = `gravl-staging:\n  gravl-db-credentials:\n    data:\n      password: { sealed: ${SEALED}, rotated: 2026-11-22 }\n`;
    expect(parseSealedValues(FILE, text)).toEqual({ values: { 'gravl-staging': { 'gravl-db-credentials': { data: { password: { sealed: SEALED, rotated: '2026-11-22' } } } } }, problems: [] });
    expect(parseSealedValues(FILE, undefined)).toEqual({ values: {}, problems: [] });
    expect(parseSealedValues(FILE, '')).toEqual({ values: {}, problems: [] });
  });

  it('names the line and column of broken YAML', () => {
    expect(problems('gravl-staging:\n  a: [\n')).toEqual([expect.stringMatching(/^secrets\/staging\/sealed-values\.yaml:\d+:\d+: invalid YAML: /)]);
  });

  it('names the field, its line, what was found and what is expected, for every problem at once', () => {
    const text = [
      'gravl-staging:',
      '  gravl-db-credentials:',
      '    scope: everywhere',
      '    data:',
      `      password: { sealed: ${SEALED}, rotated: last week }`,
      `      username: { sealed: ${SEALED}, rotated: 2026-11-22, note: x }`,
      '',
    ].join('\n');
    expect(problems(text)).toEqual([
      expect.stringMatching(/^secrets\/staging\/sealed-values\.yaml:3:\d+: gravl-staging\.gravl-db-credentials\.scope: found "everywhere", expected one of: "strict", "namespace-wide", "cluster-wide" \(the file is written by npm run seal\)$/),
      expect.stringMatching(/^secrets\/staging\/sealed-values\.yaml:5:\d+: gravl-staging\.gravl-db-credentials\.data\.password\.rotated: found "last week", expected a value matching/),
      expect.stringMatching(/^secrets\/staging\/sealed-values\.yaml:6:\d+: gravl-staging\.gravl-db-credentials\.data\.username\.note: found unknown key "note", expected one of: sealed, rotated/),
    ]);
  });
});
