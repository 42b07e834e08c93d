/**
 * Writes the rendered environments into the output folder all at once: everything is written into
 * a sibling temporary folder first and swapped in by rename, so a failure at any point leaves the
 * previous output exactly as it was.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isEnvironmentDir } from '../review/inspect/dist';
import { ARGOCD_DIR, type RenderedFile } from '../contract';

/**
 * The next output, being written beside the current one: files are written as soon as they are
 * rendered (the writes proceed while the next environment renders), and `commit` swaps the whole
 * folder in. Until then, and after `abort`, the current output is untouched.
 */
export class StagedOutput {
  private readonly target: string;
  private readonly staging: string;
  private readonly writes: Promise<void>[] = [];
  private readonly dirs = new Set<string>();

  constructor(outDir: string) {
    this.target = path.resolve(outDir);
    // Before any work: a folder that is not synth's output is refused at once (and again at the
    // swap, in case something was written there meanwhile).
    refuseForeignFolder(this.target);
    fs.mkdirSync(path.dirname(this.target), { recursive: true });
    this.staging = fs.mkdtempSync(path.join(path.dirname(this.target), `${path.basename(this.target)}.tmp-`));
    // mkdtemp makes the folder private; the output is read by people and tools like any checkout.
    fs.chmodSync(this.staging, 0o755);
  }

  /** The folder being written (renamed to the output folder by `commit`). */
  get folder(): string {
    return this.staging;
  }

  /** Starts writing files (paths relative to the output folder). */
  write(files: readonly RenderedFile[]): void {
    for (const file of files) {
      const full = path.join(this.staging, file.name);
      const dir = path.dirname(full);
      if (!this.dirs.has(dir)) {
        fs.mkdirSync(dir, { recursive: true });
        this.dirs.add(dir);
      }
      this.writes.push(fs.promises.writeFile(full, file.content));
    }
  }

  /** Waits for every write, then replaces the output folder with the new one. */
  async commit(): Promise<void> {
    try {
      await Promise.all(this.writes);
      refuseForeignFolder(this.target);
      swapIn(this.staging, this.target);
    } catch (error) {
      await this.abort();
      throw error;
    }
  }

  /**
   * Drops the new output; the current one stays as it was. Waits for the writes still in flight
   * first: removing the folder under them fails, and leaves a half-removed folder behind.
   */
  async abort(): Promise<void> {
    await Promise.allSettled(this.writes);
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}

/**
 * The output folder is replaced whole: refuse one that holds anything but rendered output (a
 * mistyped --out must not delete a working tree).
 */
function refuseForeignFolder(target: string): void {
  if (!fs.existsSync(target)) return;
  const entries = fs.readdirSync(target, { withFileTypes: true });
  const foreign = entries.filter((e) => !(e.isDirectory() && (e.name === ARGOCD_DIR || isEnvironmentDir(path.join(target, e.name)))));
  if (foreign.length > 0) {
    throw new Error(`${target} holds ${foreign.slice(0, 3).map((e) => e.name).join(', ')}${foreign.length > 3 ? ', ...' : ''}, which synth did not write; it replaces its output folder whole, so name an empty or earlier output folder`);
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
