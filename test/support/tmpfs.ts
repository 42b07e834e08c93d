/**
 * Folders in memory for the tests: a tmpfs (/dev/shm on Linux) where the machine has one with
 * room, else nothing and the caller uses the temporary folder. The tests create thousands of
 * files (copies of the project, git repositories, the revisions promote extracts, PostgreSQL's
 * clusters); on a disk each costs about a millisecond of system time, in memory next to nothing.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

/** The tmpfs magic number of statfs(2). */
const TMPFS_MAGIC = 0x01021994;
const SHM = '/dev/shm';

/** A fresh folder `<prefix>XXXXXX` on a tmpfs with at least `room` bytes free, or undefined where there is none. */
export function memoryFolder(prefix: string, room: number): string | undefined {
  try {
    const stats = fs.statfsSync(SHM);
    if (stats.type === TMPFS_MAGIC && stats.bavail * stats.bsize >= room) return fs.mkdtempSync(path.join(SHM, prefix));
  } catch {
    // No /dev/shm (not Linux), or not writable.
  }
  return undefined;
}
