/** Trees for the diff tests: the committed environments rendered in memory, and editable deep copies. */
import { allRisks, diffTrees, treeOf, type DiffReport, type RiskFlag, type RiskRule, type Tree } from '../../../lib/review/diff';
import { renderCommitted } from '../../support/render';
import { type KubeObject } from '../../../lib/contract';

/** A tree whose objects a test may edit freely. */
export type EditableTree = Map<string, any[]>;

/** The committed environments, as `npm run diff` reads them from `dist/`. */
export function realTree(): Tree {
  return treeOf(renderCommitted());
}

/** A deep copy of a tree (of the real one by default). */
export function copyOf(tree: Tree = realTree()): EditableTree {
  return new Map([...tree].map(([env, objects]) => [env, structuredClone(objects) as any[]]));
}

/** The one object of that kind and name in an environment of the tree, for a test to edit. */
export function find(tree: EditableTree, env: string, kind: string, name: string): any {
  const found = (tree.get(env) ?? []).filter((o) => o.kind === kind && o.metadata.name === name);
  if (found.length !== 1) throw new Error(`expected one ${kind} ${name} in ${env}, found ${found.length}`);
  return found[0];
}

/** Removes the objects of that kind (and name) from an environment of the tree; fails when there is none. */
export function remove(tree: EditableTree, env: string, kind: string, name?: string): KubeObject[] {
  const objects = tree.get(env)!;
  const removed = objects.filter((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (removed.length === 0) throw new Error(`no ${kind} ${name ?? ''} in ${env}`);
  tree.set(env, objects.filter((o) => !removed.includes(o)));
  return removed;
}

/** Adds the same hand-made objects to an environment of both trees (each gets its own copy). */
export function addToBoth(base: EditableTree, head: EditableTree, env: string, ...objects: KubeObject[]): void {
  for (const tree of [base, head]) tree.get(env)!.push(...structuredClone(objects));
}

/** Environments held to the production bar in the committed files. */
export const PRODUCTION: ReadonlySet<string> = new Set(['production']);

/** Compares with the committed production set. */
export function diff(base: Tree, head: Tree): DiffReport {
  return diffTrees(base, head, { production: PRODUCTION });
}

/** The risk flags of a report, of one rule when given. */
export function flags(report: DiffReport, rule?: RiskRule): RiskFlag[] {
  return allRisks(report).filter((r) => rule === undefined || r.rule === rule);
}

/** A namespaced object with only what the diff reads. */
export function object(apiVersion: string, kind: string, name: string, namespace: string | undefined, body: Record<string, unknown>): KubeObject {
  return { apiVersion, kind, metadata: namespace === undefined ? { name } : { name, namespace }, ...body };
}

/** A container with requests and limits, as every rendered container has them. */
export function container(name: string, image: string, limits: Record<string, string> = { cpu: '500m', memory: '256Mi' }): Record<string, unknown> {
  return { name, image, resources: { requests: { cpu: '100m', memory: '128Mi' }, limits } };
}
