/**
 * The schema's `default` values are what editors show and the README documents; the code applies
 * its own when a key is left out. This proves they agree: for every optional key with a default,
 * an environment file that sets it to the schema's default renders exactly what one that leaves
 * it out renders.
 */
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import schema from '../../environments/environment.schema.json';
import { loadEnvironments } from '../../lib/model/load';
import { renderAll } from '../../lib/render/synth';
import { committedText, edit, sourceFor } from '../support/render';

type Schema = { default?: unknown; properties?: Record<string, Schema> };

function defaults(node: Schema, path: string[] = []): Array<{ path: string[]; value: unknown }> {
  const here = node.default !== undefined && path.length > 0 ? [{ path, value: node.default }] : [];
  return [...here, ...Object.entries(node.properties ?? {}).flatMap(([key, child]) => defaults(child, [...path, key]))];
}

function render(name: string, text: string) {
  const { environments, shared } = renderAll([sourceFor(name, text)], { readiness: false });
  const env = environments[0]!;
  return { objects: env.objects, manual: env.manualObjects, shared: shared.map((f) => f.content) };
}

const ALL = defaults(schema as Schema);

describe.each(['staging', 'production'])('the schema defaults in %s', (name) => {
  const committed = parseDocument(committedText(name));
  // Keys whose section the file has: the default applies there (a section left out has its own rules),
  // and whose removal leaves a valid file (production's autoscaling: true decides which replica
  // settings are allowed, so its default cannot stand in for it there).
  const loads = (text: string) => loadEnvironments([sourceFor(name, text)]).ok;
  const applicable = ALL.filter(({ path }) => (path.length === 1 || committed.hasIn(path.slice(0, -1))) && loads(edit(committedText(name), (doc) => doc.deleteIn(path))));
  const bare = edit(committedText(name), (doc) => applicable.forEach(({ path }) => doc.deleteIn(path)));
  const baseline = render(name, bare);

  it('covers the keys with defaults', () => {
    expect(ALL.length).toBeGreaterThanOrEqual(20);
    expect(applicable.length).toBeGreaterThanOrEqual(12);
  });

  it.each(applicable.map((d) => [d.path.join('.'), d] as const))('%s: set to its default renders what leaving it out renders', (_key, { path, value }) => {
    const explicit = edit(bare, (doc) => doc.setIn(path, doc.createNode(value)));
    expect(render(name, explicit)).toEqual(baseline);
  });
});
