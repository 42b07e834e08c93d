/** The README and the runbooks link to files that exist, and the README stays a page a newcomer reads. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/render';

const documents = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((n) => n.endsWith('.md')).map((n) => path.join('docs', n))];

describe('the documentation', () => {
  it.each(documents)('%s links only to files that exist', (doc) => {
    const text = fs.readFileSync(path.join(ROOT, doc), 'utf8');
    const links = [...text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!).filter((l) => !/^[a-z]+:/.test(l));
    for (const link of links) expect(fs.existsSync(path.resolve(ROOT, path.dirname(doc), link)), `${doc} links to ${link}`).toBe(true);
  });

  it('keeps the README a page a newcomer reads: about 250 lines, the runbooks in docs/', () => {
    const lines = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length;
    expect(lines).toBeLessThanOrEqual(260);
  });

  it('names only source files and folders that exist (a moved file is a stale pointer)', () => {
    const named = new Set(documents.flatMap((doc) => [...fs.readFileSync(path.join(ROOT, doc), 'utf8').matchAll(/(?<![\w/.-])lib\/[A-Za-z0-9_./-]*[A-Za-z0-9_]/g)].map((m) => `${doc}: ${m[0]}`)));
    expect(named.size).toBeGreaterThan(10);
    const missing = [...named].filter((entry) => !fs.existsSync(path.join(ROOT, entry.split(': ')[1]!)));
    expect(missing).toEqual([]);
  });

  it('links every runbook from the README', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const doc of documents.filter((d) => d !== 'README.md')) expect(readme, doc).toContain(`](${doc})`);
  });
});
