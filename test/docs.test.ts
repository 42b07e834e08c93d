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

  it('names only sections that exist where the tool points a user to one (docs/<file>.md, "<heading>", or README\'s "<heading>")', () => {
    const sources = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : []));
    const headings = (doc: string) => [...fs.readFileSync(path.join(ROOT, doc), 'utf8').matchAll(/^#+ (.+)$/gm)].map((m) => m[1]!.trim());
    const pointers = sources(path.join(ROOT, 'lib')).flatMap((file) =>
      [...fs.readFileSync(file, 'utf8').matchAll(/(docs\/[a-z-]+\.md), "([^"]+)"|README's "([^"]+)"/g)].map((m) => ({ file: path.relative(ROOT, file), doc: m[1] ?? 'README.md', heading: m[2] ?? m[3]! })),
    );
    expect(pointers.length).toBeGreaterThan(0);
    expect(pointers.filter((p) => !fs.existsSync(path.join(ROOT, p.doc)) || !headings(p.doc).includes(p.heading))).toEqual([]);
  });

  it('links every runbook from the README', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const doc of documents.filter((d) => d !== 'README.md')) expect(readme, doc).toContain(`](${doc})`);
  });
});
