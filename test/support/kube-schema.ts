/**
 * Schema validation of rendered Kubernetes objects, for tests.
 *
 * Two checks run on every object, and every problem of both is reported:
 *
 * 1. **Types, required fields, enums and formats**: the ajv validators compiled into the
 *    `kubernetes-models` packages (`kubernetes-models` for the Kubernetes kinds;
 *    `@kubernetes-models/cert-manager`, `/sealed-secrets` and `/external-secrets` for the CRDs).
 * 2. **Unknown fields**: those validators let any undeclared field through (their schemas do not
 *    set `additionalProperties: false`), so a typo such as `targetPrt` would pass them. The object
 *    is walked again, and every field its schema does not declare is reported with its path:
 *    - Kubernetes kinds are walked with the Kubernetes 1.28.0 definitions (the API version the
 *      clusters run): the ones cdk8s-plus-28 was generated from, read from its jsii assembly,
 *      which keeps each definition's OpenAPI name and each field's JSON name.
 *    - CRD kinds are walked with the schema the package's validator was compiled from: the
 *      packages ship compiled validators, not JSON schemas, so the validator runs over a proxy of
 *      the object that records which fields it looks up. A compiled validator looks up every
 *      field its schema declares and reads every entry of a map (`additionalProperties`), so a
 *      field it never looked up is undeclared; an object it never looked into at all is free-form
 *      (`x-kubernetes-preserve-unknown-fields`, arbitrary JSON).
 *
 * An object whose apiVersion and kind have no validator here is a problem too, never a pass.
 */
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import type { ErrorObject } from 'ajv';
import { k8s } from 'cdk8s-plus-28';
import { ClusterIssuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/ClusterIssuer';
import { Certificate } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Certificate';
import { Issuer } from '@kubernetes-models/cert-manager/cert-manager.io/v1/Issuer';
import { ClusterSecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ClusterSecretStore';
import { ExternalSecret } from '@kubernetes-models/external-secrets/external-secrets.io/v1/ExternalSecret';
import { SecretStore } from '@kubernetes-models/external-secrets/external-secrets.io/v1/SecretStore';
import { SealedSecret } from '@kubernetes-models/sealed-secrets/bitnami.com/v1alpha1/SealedSecret';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import { IngressClass } from 'kubernetes-models/networking.k8s.io/v1/IngressClass';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole';
import { ClusterRoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding';
import { Role } from 'kubernetes-models/rbac.authorization.k8s.io/v1/Role';
import { RoleBinding } from 'kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { StorageClass } from 'kubernetes-models/storage.k8s.io/v1/StorageClass';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { PersistentVolumeClaim } from 'kubernetes-models/v1/PersistentVolumeClaim';
import { Pod } from 'kubernetes-models/v1/Pod';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { KubeObject } from '../../lib/synth/render';

/** A model class of the kubernetes-models packages: the kind it models and its compiled validator. */
export interface ModelClass {
  readonly apiVersion: string;
  readonly kind: string;
  /** Throws an ajv ValidationError (with `errors`) when `this` does not match the schema. */
  readonly prototype: { validate(): void };
}

/** Where the fields of a kind are declared: the Kubernetes 1.28 definitions, or the CRD package. */
type FieldSource = 'kubernetes' | 'crd';

/**
 * The kinds that can be validated. A kind the generator starts to render is added here; until it
 * is, every object of it fails validation.
 */
export const MODELS: ReadonlyMap<string, { readonly model: ModelClass; readonly fields: FieldSource }> = new Map(
  [
    ...[
      Namespace, ServiceAccount, Service, ConfigMap, Secret, PersistentVolumeClaim, Pod, LimitRange, ResourceQuota,
      Deployment, StatefulSet, DaemonSet, Job, CronJob, HorizontalPodAutoscaler, PodDisruptionBudget,
      Ingress, IngressClass, NetworkPolicy, Role, RoleBinding, ClusterRole, ClusterRoleBinding, StorageClass, PriorityClass,
    ].map((c) => [modelClass(c), 'kubernetes'] as const),
    ...[Certificate, ClusterIssuer, Issuer, SealedSecret, ExternalSecret, SecretStore, ClusterSecretStore].map((c) => [modelClass(c), 'crd'] as const),
  ].map(([model, fields]) => [kindKey(model.apiVersion, model.kind), { model, fields }]),
);

/**
 * A model class, checked for its validator when loaded: the types of its base class (and so of
 * `validate`) are published only through an exports map, which this project's module resolution
 * (node10) does not read.
 */
function modelClass(c: { readonly apiVersion: string; readonly kind: string; readonly prototype: object }): ModelClass {
  if (typeof (c.prototype as { validate?: unknown }).validate !== 'function') throw new Error(`kube-schema: ${c.apiVersion} ${c.kind} has no validator`);
  return c as ModelClass;
}

/**
 * The part of a JSON Schema (as Kubernetes OpenAPI definitions and CRD schemas write it) that
 * decides which fields exist.
 */
export interface FieldSchema {
  /** Name of a definition this schema is. */
  readonly $ref?: string;
  readonly type?: string;
  readonly properties?: Readonly<Record<string, FieldSchema>>;
  /** A map: any key, each value of this schema (`true`: anything). */
  readonly additionalProperties?: FieldSchema | boolean;
  readonly items?: FieldSchema;
  readonly 'x-kubernetes-preserve-unknown-fields'?: boolean;
  /** IntOrString, and Quantity as manifests write it (`cpu: 1`, `memory: 512Mi`). */
  readonly 'x-kubernetes-int-or-string'?: boolean;
}

/** A field that the schema of the object holding it does not declare. */
export interface UnknownField {
  /** Path from the root of the walked value: `spec.ports[0].targetPrt`. */
  readonly path: string;
  /** The definition that lacks it: `io.k8s.api.core.v1.ServicePort`. */
  readonly owner: string;
}

/**
 * Every field of `value` that `schema` does not declare, at any depth. `$ref`s are resolved with
 * `definition` (and name the owner of the fields below them, `owner` above the first); maps
 * (`additionalProperties`) accept any key and check their values; `x-kubernetes-preserve-unknown-fields`,
 * IntOrString and objects without declared properties accept anything below them. Types are not
 * checked here.
 */
export function unknownFields(value: unknown, schema: FieldSchema, definition: (name: string) => FieldSchema, owner = '(root)'): UnknownField[] {
  const found: UnknownField[] = [];
  const walk = (v: unknown, s: FieldSchema, o: string, p: string): void => {
    while (s.$ref !== undefined) {
      o = s.$ref;
      s = definition(s.$ref);
    }
    if (s['x-kubernetes-int-or-string']) return;
    if (Array.isArray(v)) {
      if (s.items) v.forEach((item, i) => walk(item, s.items!, o, `${p}[${i}]`));
      return;
    }
    if (!isObject(v)) return;
    const { properties, additionalProperties: extra } = s;
    const preserve = s['x-kubernetes-preserve-unknown-fields'] === true || extra === true;
    if (!properties && typeof extra !== 'object') return;
    for (const [key, child] of Object.entries(v)) {
      const declared = properties?.[key] ?? (typeof extra === 'object' ? extra : undefined);
      if (declared) walk(child, declared, o, fieldPath(p, key));
      else if (!preserve) found.push({ path: fieldPath(p, key), owner: o });
    }
  };
  walk(value, schema, owner, '');
  return found;
}

/**
 * Every problem of one rendered object against the schema of its kind, one message each, naming
 * the object and the field: `Service gravl-staging/backend: spec.ports[0].targetPrt is not a field
 * of io.k8s.api.core.v1.ServicePort`. Empty when the object is valid.
 */
export function validateObject(o: KubeObject): string[] {
  const id = describeObject(o);
  const entry = MODELS.get(kindKey(o.apiVersion, o.kind));
  if (!entry) {
    return [`${id}: no schema for apiVersion ${JSON.stringify(o.apiVersion)} kind ${JSON.stringify(o.kind)}; a kind the generator renders needs its kubernetes-models class in MODELS (test/support/kube-schema.ts)`];
  }
  if (entry.fields === 'kubernetes') {
    const problems = schemaErrors(entry.model, o).map((p) => `${id}: ${p}`);
    const definition = kubernetes().kinds.get(kindKey(o.apiVersion, o.kind));
    if (definition === undefined) return [...problems, `${id}: ${o.apiVersion} ${o.kind} is not an API of Kubernetes ${KUBERNETES_VERSION}`];
    const unknown = unknownFields(o, { $ref: definition }, kubernetes().definition);
    return [...problems, ...unknown.map((u) => `${id}: ${u.path} is not a field of ${u.owner}`)];
  }
  // The copy keeps the proxy's look-ups apart from the caller's object (which may be frozen).
  const copy = structuredClone(o) as object;
  const reads = new WeakMap<object, Set<string>>();
  const problems = schemaErrors(entry.model, traced(copy, reads), copy).map((p) => `${id}: ${p}`);
  reads.get(copy)?.add('apiVersion').add('kind');
  return [...problems, ...undeclared(copy, '', reads).map((p) => `${id}: ${p} is not a field of ${o.apiVersion} ${o.kind}`)];
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function describeObject(o: KubeObject): string {
  const { name, namespace } = o.metadata ?? {};
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/** The Kubernetes version whose definitions declare the fields of the Kubernetes kinds. */
export const KUBERNETES_VERSION = '1.28';

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `spec.ports[0].name`; keys that are not identifiers in brackets: `labels["app.kubernetes.io/name"]`. */
function fieldPath(parent: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The errors of a model's validator run on `data`, one message each, naming the field, what was
 * found (read from `plain`, when `data` is a tracing proxy of it) and what is expected:
 * `spec.replicas: found "two", expected integer`.
 */
function schemaErrors(model: ModelClass, data: object, plain: object = data): string[] {
  try {
    model.prototype.validate.call(data);
    return [];
  } catch (error) {
    const errors = (error as { errors?: ErrorObject[] }).errors;
    if (!Array.isArray(errors)) throw error;
    return errors.map((e) => {
      const tokens = e.instancePath
        .split('/')
        .slice(1)
        .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
      const at = tokens.reduce((p, token) => (/^\d+$/.test(token) ? `${p}[${token}]` : fieldPath(p, token)), '');
      const params = e.params as Record<string, unknown>;
      if (e.keyword === 'required') return `${fieldPath(at, String(params.missingProperty))} is required`;
      const found = `${at || '(the object)'}: found ${shortJson(tokens.reduce<unknown>((v, token) => (v as Record<string, unknown> | undefined)?.[token], plain))}`;
      if (e.keyword === 'type') return `${found}, expected ${String(params.type)}`;
      if (e.keyword === 'enum') return `${found}, expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
      return `${found}, which ${e.message ?? `fails ${e.keyword}`}`;
    });
  }
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * A proxy of `target` that records, per object reached through it, the keys looked up on it
 * (`reads`), handing out proxies of the objects and arrays below.
 */
function traced(target: object, reads: WeakMap<object, Set<string>>): object {
  const keys = new Set<string>();
  reads.set(target, keys);
  const children = new Map<string | symbol, object>();
  return new Proxy(target, {
    get(t, key) {
      if (typeof key === 'string') keys.add(key);
      const value: unknown = Reflect.get(t, key);
      if (value === null || typeof value !== 'object') return value;
      let child = children.get(key);
      if (!child) children.set(key, (child = traced(value, reads)));
      return child;
    },
    has(t, key) {
      if (typeof key === 'string') keys.add(key);
      return Reflect.has(t, key);
    },
  });
}

/** Paths of the fields under `value` that the traced validator never looked up. */
function undeclared(value: unknown, at: string, reads: WeakMap<object, Set<string>>): string[] {
  if (Array.isArray(value)) return value.flatMap((item, i) => undeclared(item, `${at}[${i}]`, reads));
  if (!isObject(value)) return [];
  const keys = reads.get(value);
  // Not looked into at all: a free-form value (preserve-unknown-fields, JSON), anything goes.
  if (!keys || keys.size === 0) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    keys.has(key) ? undeclared(child, fieldPath(at, key), reads) : [fieldPath(at, key)],
  );
}

/** A type reference of a jsii assembly. */
interface JsiiTypeRef {
  readonly primitive?: string;
  readonly fqn?: string;
  readonly collection?: { readonly kind: 'array' | 'map'; readonly elementtype: JsiiTypeRef };
}

/** A type of a jsii assembly; cdk8s import records each one's OpenAPI name as `@schema`. */
interface JsiiType {
  readonly kind: 'interface' | 'class' | 'enum';
  readonly docs?: { readonly custom?: { readonly schema?: string } };
  readonly properties?: ReadonlyArray<{ readonly type: JsiiTypeRef; readonly docs?: { readonly custom?: { readonly schema?: string } } }>;
}

/** The Kubernetes definitions: which definition each kind is, and each definition as a FieldSchema. */
interface KubernetesDefinitions {
  /** `apiVersion kind` → definition name. */
  readonly kinds: ReadonlyMap<string, string>;
  readonly definition: (name: string) => FieldSchema;
}

let loaded: KubernetesDefinitions | undefined;

/**
 * The Kubernetes 1.28.0 definitions that cdk8s-plus-28's `k8s` module was generated from, read
 * from its jsii assembly (shipped in the package as `.jsii`) and converted on demand.
 */
function kubernetes(): KubernetesDefinitions {
  if (loaded) return loaded;
  const packageJson = createRequire(__filename).resolve('cdk8s-plus-28/package.json');
  const assembly = JSON.parse(fs.readFileSync(path.join(path.dirname(packageJson), '.jsii'), 'utf8')) as {
    readonly name: string;
    readonly types: Readonly<Record<string, JsiiType>>;
  };
  const prefix = `${assembly.name}.k8s.`;
  const byName = new Map<string, JsiiType>();
  for (const [fqn, type] of Object.entries(assembly.types)) {
    const name = type.docs?.custom?.schema;
    if (fqn.startsWith(prefix) && name !== undefined) byName.set(name, type);
  }
  // The L1 classes (KubeService, ...) carry their apiVersion and kind; their props struct is the definition.
  const kinds = new Map<string, string>();
  for (const [className, value] of Object.entries(k8s)) {
    const gvk = (value as { GVK?: { apiVersion: string; kind: string } }).GVK;
    const name = assembly.types[`${prefix}${className}Props`]?.docs?.custom?.schema;
    if (gvk && name !== undefined) kinds.set(kindKey(gvk.apiVersion, gvk.kind), name);
  }
  const topLevel = new Set(kinds.values());
  const toSchema = (ref: JsiiTypeRef): FieldSchema => {
    if (ref.collection) {
      const element = toSchema(ref.collection.elementtype);
      return ref.collection.kind === 'map' ? { type: 'object', additionalProperties: element } : { type: 'array', items: element };
    }
    if (ref.fqn !== undefined) {
      const type = assembly.types[ref.fqn];
      const name = type?.docs?.custom?.schema;
      if (type?.kind === 'enum') return { type: 'string' };
      if (name === undefined) throw new Error(`kube-schema: no OpenAPI name for ${ref.fqn}`);
      return { $ref: name };
    }
    switch (ref.primitive) {
      case 'string':
      case 'date':
        return { type: 'string' };
      case 'number':
        return { type: 'number' };
      case 'boolean':
        return { type: 'boolean' };
      default:
        // `any` and `json`: RawExtension, JSON and the like.
        return { 'x-kubernetes-preserve-unknown-fields': true };
    }
  };
  const converted = new Map<string, FieldSchema>();
  const definition = (name: string): FieldSchema => {
    const cached = converted.get(name);
    if (cached) return cached;
    const type = byName.get(name);
    if (!type) throw new Error(`kube-schema: no Kubernetes ${KUBERNETES_VERSION} definition ${name}`);
    let schema: FieldSchema;
    if (type.kind === 'class') {
      // IntOrString and Quantity, the only classes: a number or a string.
      schema = { 'x-kubernetes-int-or-string': true };
    } else {
      const properties: Record<string, FieldSchema> = {};
      for (const property of type.properties ?? []) {
        const jsonName = property.docs?.custom?.schema?.split('#')[1];
        if (jsonName === undefined) throw new Error(`kube-schema: no JSON name for a property of ${name}`);
        properties[jsonName] = toSchema(property.type);
      }
      if (topLevel.has(name)) {
        // cdk8s leaves out of a kind's props what it sets itself (apiVersion, kind) and what the
        // cluster writes (status); the definitions declare all three.
        properties.apiVersion = { type: 'string' };
        properties.kind = { type: 'string' };
        properties.status = { 'x-kubernetes-preserve-unknown-fields': true };
      }
      schema = { type: 'object', properties };
    }
    converted.set(name, schema);
    return schema;
  };
  loaded = { kinds, definition };
  return loaded;
}
