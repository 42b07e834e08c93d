import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { renderCommitted, ROOT } from '../support/render';
import { objectId } from '../../lib/contract';

// The real kubectl (no cluster needed): `kubectl kustomize` is what `kubectl apply -k` builds.
describe('kubectl kustomize', () => {
  it.each(renderCommitted().map((e) => [e.name, e] as const))('builds dist/%s with every object, in apply order', (name, env) => {
    const run = spawnSync('kubectl', ['kustomize', path.join(ROOT, 'dist', name)], { encoding: 'utf8', timeout: 30_000 });
    expect(run.error, 'kubectl must be installed (.ci/run installs it)').toBeUndefined();
    expect(run.status, run.stderr).toBe(0);
    const built = parseAllDocuments(run.stdout).map((d) => d.toJS());
    expect(built.map(objectId)).toEqual(env.objects.map(objectId));
  });
});
