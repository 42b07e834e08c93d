/**
 * Object-by-object comparison of two rendered trees: which objects each environment gains, loses
 * and changes, and for a changed object every changed field as a path with its old and new value.
 */
import { deepEqual, isRecord } from '../../model/json';
import { assessRisks, type ObjectPair, type RiskFlag } from './risk';
import { compareNames, type Tree } from './tree';
import { type KubeObject, objectId } from '../../contract';

/** What `diffTrees` needs to know beyond the two trees. */
export interface DiffOptions {
  /** Names of the production environments (the production bar applies to them). */
  readonly production: ReadonlySet<string>;
}

/**
 * One changed field. `old` or `new` is `undefined` when the field is absent on that side (rendered
 * YAML never holds `undefined`, so it cannot be confused with a value).
 */
export interface FieldChange {
  /** Dotted path: `spec.replicas`, `spec.template.spec.containers[backend].image`, `metadata.labels["app.kubernetes.io/version"]`. */
  readonly path: string;
  readonly old: unknown;
  readonly new: unknown;
  /** The values of a Secret's `data`/`stringData`, replaced by {@link REDACTED} so no report shows them. */
  readonly redacted?: boolean;
  /** A SealedSecret's ciphertext: its bytes say nothing to a reviewer, so only the fact is shown (re-sealed, added, removed). */
  readonly sealed?: boolean;
}

/** Stands in for every value of a Secret's `data` and `stringData`. */
export const REDACTED = '(redacted)';

/** An object present in the head tree only. */
export interface AddedObject {
  readonly change: 'added';
  /** `Kind namespace/name` (with the apiVersion in parentheses when two apiVersions share it). */
  readonly id: string;
  readonly head: KubeObject;
}

/** An object present in the base tree only. */
export interface RemovedObject {
  readonly change: 'removed';
  readonly id: string;
  readonly base: KubeObject;
}

/** An object present on both sides whose content differs. */
export interface ChangedObject {
  readonly change: 'changed';
  readonly id: string;
  readonly base: KubeObject;
  readonly head: KubeObject;
  /** Never empty. */
  readonly fields: readonly FieldChange[];
}

export type ObjectDiff = AddedObject | RemovedObject | ChangedObject;

/** One environment's differences. */
export interface EnvironmentDiff {
  readonly name: string;
  /** `added`/`removed`: the environment exists on one side only; `changed`: some object differs. */
  readonly status: 'added' | 'removed' | 'changed' | 'unchanged';
  readonly production: boolean;
  /** Every difference in order: head apply order, then objects of the base only ({@link objectsOf} picks one kind). */
  readonly objects: readonly ObjectDiff[];
  /** The risk flags of this environment, in object order. */
  readonly risks: readonly RiskFlag[];
}

/** The comparison of two trees: every environment of either side, by name. */
export interface DiffReport {
  readonly environments: readonly EnvironmentDiff[];
}

/**
 * Compares two trees object by object. Objects are matched by apiVersion, kind, namespace and name;
 * an environment present on one side only has all its objects added or removed.
 */
export function diffTrees(base: Tree, head: Tree, options: DiffOptions): DiffReport {
  const names = [...new Set([...base.keys(), ...head.keys()])].sort(compareNames);
  const environments = names.map((name) => diffEnvironment(name, base.get(name), head.get(name), options.production.has(name)));
  return { environments };
}

/** Every risk flag of every environment: most severe first, then in environment and apply order. */
export function allRisks(report: DiffReport): RiskFlag[] {
  return bySeverity(report.environments.flatMap((e) => e.risks));
}

/** An environment's differences of one kind, in order: `objectsOf(env, 'changed')`. */
export function objectsOf<C extends ObjectDiff['change']>(env: Pick<EnvironmentDiff, 'objects'>, change: C): Array<Extract<ObjectDiff, { change: C }>> {
  return env.objects.filter((o): o is Extract<ObjectDiff, { change: C }> => o.change === change);
}

/** True when some environment gains, loses or changes an object. */
export function hasDifferences(report: DiffReport): boolean {
  return report.environments.some((e) => e.status !== 'unchanged');
}

function diffEnvironment(name: string, baseObjects: readonly KubeObject[] | undefined, headObjects: readonly KubeObject[] | undefined, production: boolean): EnvironmentDiff {
  const baseList = baseObjects ?? [];
  const headList = headObjects ?? [];
  const display = displayIds([...baseList, ...headList]);
  // kubectl applies documents in order, so of two with one identity the last one is what the cluster gets.
  const baseByKey = new Map(baseList.map((o) => [identity(o), o]));
  const headByKey = new Map(headList.map((o) => [identity(o), o]));
  const objects: ObjectDiff[] = [];
  const pairs: ObjectPair[] = [];
  const seen = new Set<string>();
  for (const h of headList) {
    const key = identity(h);
    if (seen.has(key)) continue;
    seen.add(key);
    const current = headByKey.get(key)!;
    const b = baseByKey.get(key);
    const id = display(current);
    pairs.push({ id, base: b, head: current });
    if (!b) {
      objects.push({ change: 'added', id, head: current });
      continue;
    }
    const fields = diffObject(b, current);
    if (fields.length > 0) objects.push({ change: 'changed', id, base: b, head: current, fields });
  }
  for (const b of baseList) {
    const key = identity(b);
    if (seen.has(key)) continue;
    seen.add(key);
    const current = baseByKey.get(key)!;
    const id = display(current);
    pairs.push({ id, base: current });
    objects.push({ change: 'removed', id, base: current });
  }
  const status = baseObjects === undefined ? 'added' : headObjects === undefined ? 'removed' : objects.length > 0 ? 'changed' : 'unchanged';
  const risks = bySeverity(assessRisks(name, pairMigrations(pairs), { production, baseObjects: baseList, headObjects: headList }));
  return { name, status, production, objects, risks };
}

const SEVERITY_ORDER: Readonly<Record<RiskFlag['severity'], number>> = { high: 0, medium: 1 };

/** Most severe first; flags of one severity keep their order (environment, then apply order). */
function bySeverity(flags: readonly RiskFlag[]): RiskFlag[] {
  return flags
    .map((flag, index) => ({ flag, index }))
    .sort((a, b) => SEVERITY_ORDER[a.flag.severity] - SEVERITY_ORDER[b.flag.severity] || a.index - b.index)
    .map((x) => x.flag);
}

/**
 * An object whose apiVersion changed (policy/v1beta1 to policy/v1) is a removal and an addition in
 * the report, but the cluster keeps it: risk checks compare the two versions instead.
 */
function pairMigrations(pairs: readonly ObjectPair[]): ObjectPair[] {
  const addedByPlainId = new Map<string, number>();
  pairs.forEach((p, i) => {
    if (p.head && !p.base) addedByPlainId.set(objectId(p.head), i);
  });
  const result: Array<ObjectPair | undefined> = [...pairs];
  pairs.forEach((p, i) => {
    if (!p.base || p.head) return;
    const j = addedByPlainId.get(objectId(p.base));
    if (j === undefined) return;
    result[j] = { id: pairs[j]!.id, base: p.base, head: pairs[j]!.head };
    result[i] = undefined;
    addedByPlainId.delete(objectId(p.base));
  });
  return result.filter((p): p is ObjectPair => p !== undefined);
}

/** The key objects are matched by. */
export function identity(o: KubeObject): string {
  return [o.apiVersion, o.kind, o.metadata.namespace ?? '', o.metadata.name].join('\u0000');
}

/** `objectId`, plus the apiVersion where one `Kind namespace/name` appears with two apiVersions. */
function displayIds(all: readonly KubeObject[]): (o: KubeObject) => string {
  const versions = new Map<string, Set<string>>();
  for (const o of all) {
    const id = objectId(o);
    versions.set(id, (versions.get(id) ?? new Set()).add(o.apiVersion));
  }
  return (o) => {
    const id = objectId(o);
    return versions.get(id)!.size > 1 ? `${id} (${o.apiVersion})` : id;
  };
}

/** Stands in for a SealedSecret's ciphertext. */
export const SEALED = '(sealed value)';

/**
 * Every changed field of two versions of one object; a Secret's data values are redacted, and a
 * SealedSecret's ciphertexts are reduced to one field per key (re-sealed, added or removed).
 */
export function diffObject(base: KubeObject, head: KubeObject): FieldChange[] {
  const out: FieldChange[] = [];
  diffValues(base, head, '', out);
  if (head.kind === 'SealedSecret' && base.kind === 'SealedSecret') return out.map(sealedField);
  if (base.kind !== 'Secret' && head.kind !== 'Secret') return out;
  return out.map((f) => (/^(data|stringData)(\.|\[|$)/.test(f.path) ? { path: f.path, old: redact(f.old), new: redact(f.new), redacted: true } : f));
}

function sealedField(f: FieldChange): FieldChange {
  if (!/^spec\.encryptedData(\.|\[|$)/.test(f.path)) return f;
  const hide = (v: unknown) => (v === undefined ? undefined : isRecord(v) ? Object.fromEntries(Object.keys(v).map((k) => [k, SEALED])) : SEALED);
  return { path: f.path, old: hide(f.old), new: hide(f.new), sealed: true };
}

function redact(value: unknown): unknown {
  if (value === undefined) return undefined;
  if (isRecord(value)) return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  return REDACTED;
}

/**
 * Appends the differences between `a` and `b` at `path`. Maps recurse by key; lists whose items all
 * carry a unique `name` (containers, env, ports, volumes, ...) are matched by name, lists of
 * scalars are compared whole, and other lists of structures (NetworkPolicy and Role rules, peers,
 * tolerations) as sets: an item that moved is no change, and each item only one side has is shown
 * whole as `path[]`, added or removed.
 */
function diffValues(a: unknown, b: unknown, path: string, out: FieldChange[]): void {
  if (deepEqual(a, b)) return;
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort(compareNames);
    for (const k of keys) diffValues(a[k], b[k], joinKey(path, k), out);
    return;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    const named = byName(a) && byName(b);
    if (named) {
      const baseItems = new Map(a.map((item) => [(item as { name: string }).name, item]));
      const headItems = new Map(b.map((item) => [(item as { name: string }).name, item]));
      const order = [...headItems.keys(), ...[...baseItems.keys()].filter((n) => !headItems.has(n))];
      for (const n of order) diffValues(baseItems.get(n), headItems.get(n), `${path}[${n}]`, out);
      return;
    }
    if (![...a, ...b].some((item) => isRecord(item) || Array.isArray(item))) {
      out.push({ path, old: a, new: b });
      return;
    }
    const unmatched = [...b];
    const removed: unknown[] = [];
    for (const item of a) {
      const at = unmatched.findIndex((other) => deepEqual(item, other));
      if (at >= 0) unmatched.splice(at, 1);
      else removed.push(item);
    }
    for (const item of removed) out.push({ path: `${path}[]`, old: item, new: undefined });
    for (const item of unmatched) out.push({ path: `${path}[]`, old: undefined, new: item });
    return;
  }
  out.push({ path, old: a, new: b });
}

/** Items of a list are matched by name when each has a name of its own. */
function byName(list: readonly unknown[]): boolean {
  const names = new Set<string>();
  for (const item of list) {
    if (!isRecord(item) || typeof item.name !== 'string' || names.has(item.name)) return false;
    names.add(item.name);
  }
  return true;
}

function joinKey(path: string, key: string): string {
  if (!/^[A-Za-z_$][A-Za-z0-9_$-]*$/.test(key)) return `${path}[${JSON.stringify(key)}]`;
  return path === '' ? key : `${path}.${key}`;
}
