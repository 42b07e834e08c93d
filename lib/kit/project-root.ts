/**
 * The repository's root folder: the nearest folder above this module that holds package.json.
 * Modules find their files (job scripts, the k6 script) from here, never from their own folder, so
 * they work the same whether run from source (tsx, vitest) or from the compiled bundle.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

function findRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    if (path.dirname(dir) === dir) throw new Error(`no package.json above ${from}`);
  }
}

export const PROJECT_ROOT = findRoot(__dirname);
