import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { tempDir, treeDigest } from '../support/cli';
import { renderCommitted, ROOT } from '../support/render';

const project = tempDir('cdk8s-cli');
afterAll(() => fs.rmSync(project, { recursive: true, force: true }));

it('npx cdk8s synth renders the same files into dist/ as npm run synth, and lists them', () => {
  for (const entry of ['main.ts', 'bin', 'lib', 'imports', 'environments', 'secrets', 'cdk8s.yaml', 'package.json', 'package-lock.json', 'tsconfig.json']) {
    fs.cpSync(path.join(ROOT, entry), path.join(project, entry), { recursive: true });
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(project, 'node_modules'));

  const run = spawnSync(path.join(ROOT, 'node_modules', '.bin', 'cdk8s'), ['synth', '--no-check-upgrade'], { cwd: project, encoding: 'utf8', timeout: 60_000 });
  expect(run.status, run.stderr).toBe(0);

  for (const env of renderCommitted()) {
    for (const file of env.files) {
      expect(fs.readFileSync(path.join(project, 'dist', env.name, file.name), 'utf8'), `dist/${env.name}/${file.name}`).toBe(file.content);
    }
  }
  expect(treeDigest(path.join(project, '.cdk8s.out'))).toEqual(treeDigest(path.join(project, 'dist')));
  expect(run.stdout).toContain(path.join('staging', '0000-namespaces.k8s.yaml'));
});
