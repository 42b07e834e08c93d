/**
 * `npm ci` is quiet on the Node version the project states: every package in the lock file accepts
 * the lowest Node version of package.json's engines (an EBADENGINE warning otherwise).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { ROOT } from './support/render';

const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string }; dependencies: Record<string, string>; devDependencies: Record<string, string> };
const lock = JSON.parse(fs.readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

describe('the install', () => {
  const lowest = semver.minVersion(pkg.engines.node)!;

  it('states a Node version that the running Node meets, and that is Node 20', () => {
    expect(lowest.major).toBe(20);
    expect(semver.satisfies(process.version, pkg.engines.node), `${process.version} against ${pkg.engines.node}`).toBe(true);
  });

  it('holds no package whose engines refuse the lowest stated Node version', () => {
    const refusing = Object.entries(lock.packages)
      .filter(([name, entry]) => name !== '' && !Array.isArray(entry.engines) && entry.engines?.node && !semver.satisfies(lowest, entry.engines.node))
      .map(([name, entry]) => `${name} needs node ${(entry.engines as { node: string }).node}`);
    expect(refusing).toEqual([]);
  });

  it('pins every direct dependency to an exact version', () => {
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) expect(semver.valid(range), `${name}@${range}`).not.toBeNull();
  });
});
