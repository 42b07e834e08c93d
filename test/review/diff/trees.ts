/** Trees for the diff tests: the committed environments rendered in memory, and editable deep copies. */
import { allRisks, diffTrees, treeOf, type DiffReport, type RiskFlag, type RiskRule, type Tree } from '../../../lib/review/diff';
import { deepFreeze, renderCommitted } from '../../support/render';
import { type KubeObject } from '../../../lib/contract';

/**
 * A tree a test may edit: its lists are its own, and its objects are shared, frozen copies until
 * {@link find} (or {@link editable}) hands one out, which puts a copy of its own in its place. So a
 * copy costs a list per environment rather than a deep copy of every object, and an object edited
 * without being handed out throws (frozen) instead of changing the other trees.
 */
export type EditableTree = Map<string, any[]>;

/** The committed environments, as `npm run diff` reads them from `dist/`. */
export function realTree(): Tree {
  return treeOf(renderCommitted());
}

/** A frozen deep copy of a tree's objects, by environment. */
function frozenCopy(tree: Tree): Map<string, readonly unknown[]> {
  return new Map([...tree].map(([env, objects]) => [env, objects.map((o) => deepFreeze(structuredClone(o)))]));
}

/**
 * The real tree, frozen once: its objects are the shared render's, frozen already
 * (test/support/render.ts), but for the kustomization each tree makes of its own.
 */
let frozenReal: Map<string, readonly unknown[]> | undefined;
/** Each tree given to copyOf, copied and frozen once (a caller's tree is not ours to freeze). */
const frozen = new WeakMap<Tree, Map<string, readonly unknown[]>>();

/** A copy of a tree (of the real one by default) for a test to edit (see {@link EditableTree}). */
export function copyOf(tree?: Tree): EditableTree {
  let source = tree ? frozen.get(tree) : (frozenReal ??= new Map([...realTree()].map(([env, objects]) => [env, objects.map(deepFreeze)])));
  if (!source) frozen.set(tree!, (source = frozenCopy(tree!)));
  return new Map([...source].map(([env, objects]) => [env, [...objects]]));
}

/** The one object of an environment of the tree that `matches`, as a copy of its own in the tree, for a test to edit. */
export function editable(tree: EditableTree, env: string, matches: (o: any) => boolean, what = 'object'): any {
  const objects = tree.get(env) ?? [];
  const at = objects.flatMap((o, i) => (matches(o) ? [i] : []));
  if (at.length !== 1) throw new Error(`expected one ${what} in ${env}, found ${at.length}`);
  const i = at[0]!;
  if (Object.isFrozen(objects[i])) objects[i] = structuredClone(objects[i]);
  return objects[i];
}

/** The one object of that kind and name in an environment of the tree, for a test to edit. */
export function find(tree: EditableTree, env: string, kind: string, name: string): any {
  return editable(tree, env, (o) => o.kind === kind && o.metadata.name === name, `${kind} ${name}`);
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
