/**
 * The layers of lib/, each importing only those below it: the environment model (plain data), the
 * contract, the building blocks (kit), the system's components, the render pipeline; the review
 * tools read rendered YAML and share with the constructs only the contract module and the model's
 * plain data. No module imports itself back through another.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = path.resolve(__dirname, '..');

/** What lib/review may import of lib/: the contract and the model's plain data. */
const ALLOWED_OUTSIDE = ['lib/contract.ts', 'lib/model/cidr.ts', 'lib/model/defaults.ts', 'lib/model/formats.ts', 'lib/model/graceful-shutdown.ts', 'lib/model/json.ts', 'lib/model/problems.ts', 'lib/model/sign-off.ts'];

function sources(dir: string): string[] {
  return fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(`${dir}/${e.name}`) : e.name.endsWith('.ts') ? [`${dir}/${e.name}`] : []));
}

/** The modules a file imports (static, dynamic and require): files as paths from the root, packages as `package:<name>`. */
function importsOf(file: string): string[] {
  const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
  const specifiers = [...text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|\brequire\s*\(\s*|^import\s+)(['"`])([^'"`]+)\1/gm)].map((m) => m[2]!);
  return specifiers.map((s) => {
    if (!s.startsWith('.')) return `package:${s}`;
    const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), s));
    return [`${base}.ts`, `${base}/index.ts`].find((f) => fs.existsSync(path.join(ROOT, f))) ?? base;
  });
}

const LIB = sources('lib');
const REVIEW = sources('lib/review');
const graph = new Map(LIB.map((f) => [f, importsOf(f)]));

/** The layer of a file of lib/: its first folder, or the contract. */
function layerOf(file: string): string {
  return file === 'lib/contract.ts' ? 'contract' : file.split('/')[1]!;
}

/** What each layer may import of lib/ besides itself. */
const MAY_IMPORT: Readonly<Record<string, readonly string[]>> = {
  model: [],
  contract: [],
  kit: ['model', 'contract'],
  system: ['kit', 'model', 'contract'],
  // The pipeline renders the system and writes READINESS.md with the review tools.
  render: ['system', 'kit', 'model', 'contract', 'review'],
  review: ['model', 'contract'],
  // The commands beyond rendering (seal, promote, bench) may use any layer.
  cli: ['render', 'review', 'system', 'kit', 'model', 'contract'],
};

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
  for (const file of LIB) visit(file, []);
  return found;
}

describe('the layering of lib/', () => {
  it('knows every folder of lib/ as a layer', () => {
    expect([...new Set(LIB.map(layerOf))].sort()).toEqual(Object.keys(MAY_IMPORT).sort());
  });

  it('imports from each layer only the layers below it', () => {
    const wrong = LIB.flatMap((f) =>
      graph
        .get(f)!
        .filter((i) => i.startsWith('lib/') && layerOf(i) !== layerOf(f) && !MAY_IMPORT[layerOf(f)]!.includes(layerOf(i)))
        .map((i) => `${f} (${layerOf(f)}) imports ${i} (${layerOf(i)})`),
    );
    expect(wrong).toEqual([]);
  });

  it('keeps the building blocks free of any component', () => {
    const kit = sources('lib/kit').flatMap((f) => graph.get(f)!.filter((i) => i.startsWith('lib/system/')).map((i) => `${f} imports ${i}`));
    expect(kit).toEqual([]);
  });

  it('lets a component reach another only through its entry file', () => {
    const componentOf = (file: string) => (file.startsWith('lib/system/') && file.split('/').length > 3 ? file.split('/')[2] : undefined);
    const wrong = sources('lib/system').flatMap((f) =>
      graph.get(f)!.filter((i) => {
        const to = componentOf(i);
        return to !== undefined && to !== componentOf(f) && i !== `lib/system/${to}/index.ts`;
      }).map((i) => `${f} imports ${i}`),
    );
    expect(wrong).toEqual([]);
  });

  it('has the five components of the design, each one folder with one entry construct, shown in the README layout', () => {
    const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const [folder, construct] of [['security', 'Security'], ['postgres', 'Postgres'], ['backend', 'Backend'], ['monitoring', 'Monitoring'], ['logging', 'Logging']] as const) {
      const entry = `lib/system/${folder}/index.ts`;
      expect(fs.existsSync(path.join(ROOT, entry)), entry).toBe(true);
      expect(fs.readFileSync(path.join(ROOT, entry), 'utf8'), entry).toMatch(new RegExp(`^export class ${construct} extends Construct \\{`, 'm'));
      expect(readme, `README layout: ${folder}/`).toMatch(new RegExp(`^  ${folder}/ +${construct}:`, 'm'));
    }
    // The root composes the components by their entries only.
    const root = graph.get('lib/system/gravl.ts')!.filter((i) => /^lib\/system\/[^/]+\//.test(i));
    expect(root.every((i) => i.endsWith('/index.ts')), root.join(', ')).toBe(true);
  });

  it('has no import cycle anywhere in lib/, type imports included', () => {
    expect(cycles().map((c) => c.join(' -> '))).toEqual([]);
  });
});

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

  it('shares a contract that imports nothing of lib/, and a model that imports no other layer', () => {
    expect(importsOf('lib/contract.ts')).toEqual([]);
    const model = ALLOWED_OUTSIDE.filter((f) => f.startsWith('lib/model/')).flatMap((f) => importsOf(f).filter((i) => i.startsWith('lib/') && !i.startsWith('lib/model/')).map((i) => `${f} imports ${i}`));
    expect(model).toEqual([]);
  });
});
