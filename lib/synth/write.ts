/**
 * Writes the rendered environments into the output folder all at once: everything is written into
 * a sibling temporary folder first and swapped in by rename, so a failure at any point leaves the
 * previous output exactly as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RenderedEnvironment } from './render';

/** Replaces `outDir` with a folder holding one subfolder per environment. */
export function writeAtomically(outDir: string, environments: readonly RenderedEnvironment[]): void {
  const parent = path.dirname(path.resolve(outDir));
  const base = path.basename(outDir);
  fs.mkdirSync(parent, { recursive: true });
  const staging = fs.mkdtempSync(path.join(parent, `${base}.tmp-`));
  try {
    for (const env of environments) {
      const dir = path.join(staging, env.name);
      fs.mkdirSync(dir);
      for (const file of env.files) {
        fs.mkdirSync(path.dirname(path.join(dir, file.name)), { recursive: true });
        fs.writeFileSync(path.join(dir, file.name), file.content);
      }
    }
    swapIn(staging, path.resolve(outDir));
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

function swapIn(staging: string, target: string): void {
  if (!fs.existsSync(target)) {
    fs.renameSync(staging, target);
    return;
  }
  const old = `${target}.old-${process.pid}`;
  fs.renameSync(target, old);
  try {
    fs.renameSync(staging, target);
  } catch (error) {
    fs.renameSync(old, target);
    throw error;
  }
  fs.rmSync(old, { recursive: true, force: true });
}

/** Copies a folder tree (for the cdk8s CLI, which lists and validates its own output folder). */
export function copyTree(from: string, to: string): void {
  fs.rmSync(to, { recursive: true, force: true });
  fs.cpSync(from, to, { recursive: true });
}
