/**
 * The review tools read rendered YAML: they share with the constructs only the contract module
 * (label and annotation names, the dist/ layout) and the plain data of the model, never a
 * construct, a building block, the render pipeline or the command line. And no module of theirs
 * imports itself back through another.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..', '..');

/** What lib/review may import of lib/: the contract and the model's plain data. */
const ALLOWED_OUTSIDE = ['lib/contract.ts', 'lib/model/cidr.ts', 'lib/model/formats.ts', 'lib/model/graceful-shutdown.ts', 'lib/model/json.ts', 'lib/model/problems.ts', 'lib/model/sign-off.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
}

/** The modules a file imports (static, dynamic and require): files as paths from the root, packages as `package:<name>`. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)'([^']+)'/gm)].map((m) => m[1]!);
  return specifiers.map((s) => {
    if (!s.startsWith('.')) return `package:${s}`;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
    return [`${base}.ts`, `${base}/index.ts`].find((f) => fs.existsSync(path.join(ROOT, f))) ?? base;
  });
}

const REVIEW = sources('lib/review');
const graph = new Map(REVIEW.map((f) => [f, importsOf(f)]));

/** Every cycle through the import graph, as the chain of files that closes it. */
function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, 'open' | 'done'>();
  const visit = (file: string, chain: string[]): void => {
    if (state.get(file) === 'done') return;
    if (state.get(file) === 'open') {
      found.push([...chain.slice(chain.indexOf(file)), file]);
      return;
    }
    state.set(file, 'open');
    for (const next of graph.get(file) ?? []) if (graph.has(next)) visit(next, [...chain, file]);
    state.set(file, 'done');
  };
  for (const file of REVIEW) visit(file, []);
  return found;
}

describe('the layering of lib/review', () => {
  it('finds the review modules and their imports', () => {
    expect(REVIEW).toContain('lib/review/readiness/criteria.ts');
    expect(graph.get('lib/review/diff/compare.ts')).toContain('lib/review/diff/risk.ts');
  });

  it('imports of lib/ only the contract, the model\'s plain data and other review modules', () => {
    const wrong = REVIEW.flatMap((f) => graph.get(f)!.filter((i) => i.startsWith('lib/') && !i.startsWith('lib/review/') && !ALLOWED_OUTSIDE.includes(i)).map((i) => `${f} imports ${i}`));
    expect(wrong).toEqual([]);
  });

  it('imports no file of the project outside lib/ (generated imports, tests, main.ts), only packages', () => {
    const wrong = REVIEW.flatMap((f) => graph.get(f)!.filter((i) => !i.startsWith('lib/') && !i.startsWith('package:')).map((i) => `${f} imports ${i}`));
    expect(wrong).toEqual([]);
  });

  it('keeps inspect below diff and readiness, and diff and readiness apart', () => {
    const crossing = REVIEW.flatMap((f) => {
      const area = f.split('/')[2];
      return graph.get(f)!.filter((i) => {
        const to = i.startsWith('lib/review/') ? i.split('/')[2] : undefined;
        return to !== undefined && to !== area && (area === 'inspect' || to !== 'inspect');
      }).map((i) => `${f} imports ${i}`);
    });
    expect(crossing).toEqual([]);
  });

  it('has no import cycle, type imports included', () => {
    expect(cycles().map((c) => c.join(' -> '))).toEqual([]);
  });

  it('shares a contract that imports nothing of lib/, and a model that imports no other layer', () => {
    expect(importsOf('lib/contract.ts')).toEqual([]);
    const model = ALLOWED_OUTSIDE.filter((f) => f.startsWith('lib/model/')).flatMap((f) => importsOf(f).filter((i) => i.startsWith('lib/') && !i.startsWith('lib/model/')).map((i) => `${f} imports ${i}`));
    expect(model).toEqual([]);
  });
});
