import { describe, expect, it } from 'vitest';
import { formatMarkdown, formatText, formatValue, runDiff } from '../../../lib/review/diff';
import { copyOf, diff, find, object, PRODUCTION, realTree, remove } from './trees';

/** A head with a harmless change in staging and risky ones in production. */
function reviewedChange() {
  const head = copyOf();
  find(head, 'staging', 'Deployment', 'backend').metadata.labels.tier = 'api';
  find(head, 'production', 'Deployment', 'backend').spec.replicas = 1;
  remove(head, 'production', 'PodDisruptionBudget', 'backend');
  head.get('production')!.push(object('v1', 'ConfigMap', 'settings', 'gravl-prod', { data: { mode: 'fast' } }));
  return head;
}

describe('formatText', () => {
  it('lists risk flags first under a RISK heading, then per environment +, - and ~ lines with indented fields', () => {
    const text = formatText(diff(realTree(), reviewedChange()));
    const lines = text.split('\n');
    expect(lines[0]).toBe('RISK: 2 risky changes');
    expect(lines.slice(1, 3)).toEqual([
      expect.stringMatching(/^ {2}! \[high\] production: Deployment gravl-prod\/backend: spec\.replicas 1 in production/),
      '  ! [high] production: PodDisruptionBudget gravl-prod/backend: PodDisruptionBudget removed in production: a node drain may take every pod down at once',
    ]);
    expect(text).toContain(
      [
        'production: 1 added, 1 removed, 1 changed',
        '  ~ Deployment gravl-prod/backend',
        '      spec.replicas: (absent) -> 1',
        '  + ConfigMap gravl-prod/settings',
        '  - PodDisruptionBudget gravl-prod/backend',
        '',
        'staging: 0 added, 0 removed, 1 changed',
        '  ~ Deployment gravl-staging/backend',
        '      metadata.labels.tier: (absent) -> api',
        '',
      ].join('\n'),
    );
    expect(text.indexOf('RISK')).toBeLessThan(text.indexOf('production: 1 added'));
  });

  it('does not write a RISK heading when no change is risky', () => {
    const head = copyOf();
    find(head, 'staging', 'Deployment', 'backend').metadata.labels.tier = 'api';
    expect(formatText(diff(realTree(), head))).not.toContain('RISK');
  });

  it('quotes values that could be misread and writes maps and lists on one line', () => {
    expect(formatValue('3000')).toBe('"3000"');
    expect(formatValue(3000)).toBe('3000');
    expect(formatValue('a -> b')).toBe('"a -> b"');
    expect(formatValue('(absent)')).toBe('"(absent)"');
    expect(formatValue(undefined)).toBe('(absent)');
    expect(formatValue({ hosts: ['gravl.app'], secretName: 'gravl-tls' })).toBe('{ hosts: [ gravl.app ], secretName: gravl-tls }');
    expect(formatValue('line one\nline two')).toBe('"line one\\nline two"');
  });
});

describe('formatMarkdown', () => {
  it('writes a summary table per environment, the risk flags with a warning marker, and changed fields in details blocks', () => {
    const markdown = formatMarkdown(diff(realTree(), reviewedChange()));
    expect(markdown).toContain(
      ['| environment | added | removed | changed | risky |', '| --- | ---: | ---: | ---: | ---: |', '| `production` | 1 | 1 | 1 | ⚠️ **2** |', '| `staging` | 0 | 0 | 1 | 0 |'].join('\n'),
    );
    expect(markdown).toMatch(/^- ⚠️ \*\*high\*\* `production` `Deployment gravl-prod\/backend`: spec\.replicas 1 in production/m);
    expect(markdown).toContain('- ⚠️ **high** `production` `PodDisruptionBudget gravl-prod/backend`: PodDisruptionBudget removed in production');
    expect(markdown).toContain(['```diff', '+ ConfigMap gravl-prod/settings', '- PodDisruptionBudget gravl-prod/backend', '```'].join('\n'));
    expect(markdown).toContain(
      ['<details>', '<summary>⚠️ <code>~ Deployment gravl-prod/backend</code>: 1 field</summary>', '', '```text', 'spec.replicas: (absent) -> 1', '```', '', '</details>'].join('\n'),
    );
    expect(markdown).toContain(['<summary><code>~ Deployment gravl-staging/backend</code>: 1 field</summary>', '', '```text', 'metadata.labels.tier: (absent) -> api', '```'].join('\n'));
  });

  it('says "no changes" when nothing differs', () => {
    const result = runDiff({ base: realTree(), head: copyOf(), production: PRODUCTION, format: 'markdown' });
    expect(result.differs).toBe(false);
    expect(result.output).toMatch(/no changes/i);
    expect(result.output).not.toContain('<details>');
  });

  it('escapes Markdown in reasons and fences values that hold backticks', () => {
    const base = copyOf();
    const head = copyOf();
    const role = object('rbac.authorization.k8s.io/v1', 'Role', 'reader', 'gravl-prod', { rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] });
    base.get('production')!.push(structuredClone(role));
    head.get('production')!.push({ ...structuredClone(role), rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['*'] }] });
    const backend = find(head, 'staging', 'Deployment', 'backend');
    backend.metadata.annotations = { ...backend.metadata.annotations, note: 'run ```rm``` first' };
    const markdown = formatMarkdown(diff(base, head));
    expect(markdown).toContain('rules gain a wildcard (\\*) in verbs');
    expect(markdown).toContain('````text\nmetadata.annotations.note: (absent) -> run ```rm``` first\n````');
  });

  it('leaves out the field details of a report too long for a comment, and keeps the table and the risks', () => {
    const head = copyOf();
    const base = copyOf();
    for (let i = 0; i < 400; i++) {
      const map = object('v1', 'ConfigMap', `settings-${i}`, 'gravl-staging', { data: { value: 'x'.repeat(100) } });
      base.get('staging')!.push(map);
      head.get('staging')!.push({ ...map, data: { value: 'y'.repeat(100) } });
    }
    remove(head, 'production', 'PodDisruptionBudget', 'backend');
    const markdown = formatMarkdown(diff(base, head));
    expect(markdown.length).toBeLessThan(65_536);
    expect(markdown).toContain('| `staging` | 0 | 0 | 400 | 0 |');
    expect(markdown).toContain('PodDisruptionBudget removed in production');
    expect(markdown).toContain('- <code>~ ConfigMap gravl-staging/settings-399</code>: 1 field');
    expect(markdown).not.toContain('<details>');
    expect(markdown).toMatch(/Field details are left out/);
  });
});

describe('runDiff', () => {
  it('reports differs and risky for a risky change, and risky false for a harmless one', () => {
    expect(runDiff({ base: realTree(), head: reviewedChange(), production: PRODUCTION, format: 'text' })).toMatchObject({ differs: true, risky: true });
    const harmless = copyOf();
    find(harmless, 'staging', 'Deployment', 'backend').metadata.labels.tier = 'api';
    const result = runDiff({ base: realTree(), head: harmless, production: PRODUCTION, format: 'markdown' });
    expect(result).toMatchObject({ differs: true, risky: false });
    expect(result.output).toContain('<details>');
  });

  it('does not apply the production rules to environments outside the production set', () => {
    const result = runDiff({ base: realTree(), head: reviewedChange(), production: new Set(), format: 'text' });
    expect(result).toMatchObject({ differs: true, risky: false });
  });
});
