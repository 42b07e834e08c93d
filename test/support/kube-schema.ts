/**
 * Schema validation of rendered Kubernetes objects, for tests.
 *
 * The schemas are read from `imports/schemas.generated.json`, generated from upstream files by
 * `npm run import-schemas` (scripts/import-schemas.ts; its header names the upstream versions):
 * - the Kubernetes 1.28.0 OpenAPI definitions (the API version the clusters run), for the kinds
 *   Kubernetes serves (every group-version-kind of the definitions but alpha versions);
 * - the upstream CustomResourceDefinitions, for the custom kinds: the `openAPIV3Schema` of each
 *   version a CRD serves, with `metadata` checked as the Kubernetes ObjectMeta (as the API server
 *   does).
 *
 * Two checks run on every object, and every problem of both is reported:
 *
 * 1. **Types, required fields, enums and formats**: ajv validators compiled from those schemas
 *    (once per kind, when the kind is first validated).
 * 2. **Unknown fields**: the schemas do not set `additionalProperties: false` (the API server
 *    prunes or rejects unknown fields itself), so a typo such as `targetPrt` would pass ajv. The
 *    object is walked again over the same schema, and every field it does not declare is reported
 *    with its path and the definition (or, for a custom kind, the kind) that lacks it.
 *
 * An object whose apiVersion and kind have no schema here is a problem too, never a pass.
 *
 * Not checked: CEL rules (`x-kubernetes-validations`) and the validation the API server does in
 * code beyond the enums listed in KUBERNETES_ENUMS.
 */
import * as fs from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import * as path from 'node:path';
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import type { GeneratedSchemas } from '../../scripts/import-schemas';
import { type KubeObject } from '../../lib/contract';

/** The Kubernetes version whose definitions declare the Kubernetes kinds. */
export const KUBERNETES_VERSION = '1.28';

/** The generated schemas, relative to the repository root (written by `npm run import-schemas` only). */
export const SCHEMAS_FILE = 'imports/schemas.generated.json';
const SCHEMAS_PATH = path.resolve(__dirname, '..', '..', SCHEMAS_FILE);

/**
 * The part of a JSON Schema (as Kubernetes OpenAPI definitions and CRD schemas write it) that
 * decides which fields exist.
 */
export interface FieldSchema {
  /** A definition this schema is: its name, or `#/definitions/<name>` as the Kubernetes definitions write it. */
  readonly $ref?: string;
  readonly type?: string | readonly string[];
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
 * `definition` (and name the owner of the fields below them, `owner` above the first; a
 * `#/definitions/` prefix is left out of the name); maps (`additionalProperties`) accept any key
 * and check their values; `x-kubernetes-preserve-unknown-fields`, IntOrString and objects without
 * declared properties accept anything below them. Types are not checked here.
 */
export function unknownFields(value: unknown, schema: FieldSchema, definition: (name: string) => FieldSchema, owner = '(root)'): UnknownField[] {
  const found: UnknownField[] = [];
  const walk = (v: unknown, s: FieldSchema, o: string, p: string): void => {
    while (s.$ref !== undefined) {
      o = definitionName(s.$ref);
      s = definition(o);
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
  const kind = schemas().kind(o.apiVersion, o.kind);
  if (!kind) {
    return [
      `${id}: no schema for apiVersion ${JSON.stringify(o.apiVersion)} kind ${JSON.stringify(o.kind)}: neither an API Kubernetes ${KUBERNETES_VERSION} serves nor a version served by a CRD imported into ${SCHEMAS_FILE} (a kind the generator renders needs its upstream CRD imported: npm run import-schemas)`,
    ];
  }
  const problems = schemaErrors(kind.validate(), o).map((p) => `${id}: ${p}`);
  const unknown = unknownFields(o, kind.schema, schemas().definition, kind.owner);
  return [...problems, ...unknown.map((u) => `${id}: ${u.path} is not a field of ${u.owner}`)];
}

/** `Kind namespace/name`, or `Kind name` for a cluster-scoped object. */
export function describeObject(o: KubeObject): string {
  const { name, namespace } = o.metadata ?? {};
  return `${o.kind} ${namespace ? `${namespace}/` : ''}${name}`;
}

/**
 * The values Kubernetes 1.28 accepts for the string enums of the fields the generator writes (its
 * `+enum` types, checked by the API server in code): the OpenAPI v2 definitions do not carry them.
 * Keyed by definition, then field; `[]` after a field name: the values of its items.
 */
export const KUBERNETES_ENUMS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  'io.k8s.api.core.v1.ServicePort': { protocol: ['SCTP', 'TCP', 'UDP'] },
  'io.k8s.api.core.v1.ContainerPort': { protocol: ['SCTP', 'TCP', 'UDP'] },
  'io.k8s.api.networking.v1.NetworkPolicyPort': { protocol: ['SCTP', 'TCP', 'UDP'] },
  'io.k8s.api.networking.v1.NetworkPolicySpec': { 'policyTypes[]': ['Egress', 'Ingress'] },
  'io.k8s.api.core.v1.ServiceSpec': {
    type: ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'],
    externalTrafficPolicy: ['Cluster', 'Local'],
    internalTrafficPolicy: ['Cluster', 'Local'],
    sessionAffinity: ['ClientIP', 'None'],
  },
  'io.k8s.api.core.v1.Container': { imagePullPolicy: ['Always', 'IfNotPresent', 'Never'], terminationMessagePolicy: ['FallbackToLogsOnError', 'File'] },
  'io.k8s.api.core.v1.PodSpec': { restartPolicy: ['Always', 'Never', 'OnFailure'], dnsPolicy: ['ClusterFirst', 'ClusterFirstWithHostNet', 'Default', 'None'] },
  'io.k8s.api.core.v1.PodSecurityContext': { fsGroupChangePolicy: ['Always', 'OnRootMismatch'] },
  'io.k8s.api.core.v1.SeccompProfile': { type: ['Localhost', 'RuntimeDefault', 'Unconfined'] },
  'io.k8s.api.core.v1.VolumeMount': { mountPropagation: ['Bidirectional', 'HostToContainer', 'None'] },
  'io.k8s.api.core.v1.HostPathVolumeSource': { type: ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'] },
  'io.k8s.api.core.v1.Toleration': { operator: ['Equal', 'Exists'], effect: ['NoExecute', 'NoSchedule', 'PreferNoSchedule'] },
  'io.k8s.api.core.v1.HTTPGetAction': { scheme: ['HTTP', 'HTTPS'] },
  'io.k8s.api.core.v1.TopologySpreadConstraint': { whenUnsatisfiable: ['DoNotSchedule', 'ScheduleAnyway'], nodeAffinityPolicy: ['Honor', 'Ignore'], nodeTaintsPolicy: ['Honor', 'Ignore'] },
  'io.k8s.api.core.v1.PersistentVolumeClaimSpec': { 'accessModes[]': ['ReadOnlyMany', 'ReadWriteMany', 'ReadWriteOnce', 'ReadWriteOncePod'], volumeMode: ['Block', 'Filesystem'] },
  'io.k8s.api.apps.v1.DeploymentStrategy': { type: ['Recreate', 'RollingUpdate'] },
  'io.k8s.api.apps.v1.StatefulSetSpec': { podManagementPolicy: ['OrderedReady', 'Parallel'] },
  'io.k8s.api.apps.v1.StatefulSetUpdateStrategy': { type: ['OnDelete', 'RollingUpdate'] },
  'io.k8s.api.apps.v1.DaemonSetUpdateStrategy': { type: ['OnDelete', 'RollingUpdate'] },
  'io.k8s.api.batch.v1.CronJobSpec': { concurrencyPolicy: ['Allow', 'Forbid', 'Replace'] },
  'io.k8s.api.networking.v1.HTTPIngressPath': { pathType: ['Exact', 'ImplementationSpecific', 'Prefix'] },
};

/** A kind that has a schema: its root schema (for the unknown-field walk) and its validator. */
interface Kind {
  readonly schema: FieldSchema;
  /** Names the owner of unknown fields found above the first `$ref`: the apiVersion and kind of a custom kind. */
  readonly owner: string;
  readonly validate: () => ValidateFunction;
}

interface Schemas {
  readonly kind: (apiVersion: string, kind: string) => Kind | undefined;
  /** A Kubernetes definition by name. */
  readonly definition: (name: string) => FieldSchema;
}

/** The id under which the Kubernetes definitions are added to ajv. */
const KUBERNETES_ID = 'kubernetes';
const OBJECT_META = 'io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta';

let loaded: Schemas | undefined;

/**
 * The schemas of every kind, read on first use from the generated file; each validator is compiled
 * when first used.
 */
function schemas(): Schemas {
  if (loaded) return loaded;
  const generated = JSON.parse(fs.readFileSync(SCHEMAS_PATH, 'utf8')) as GeneratedSchemas;
  const definitions = generated.kubernetes.definitions as Record<string, Record<string, unknown>>;
  // IntOrString and Quantity are written `oneOf: [string, integer|number]`: one type check (and a
  // single message) instead, and Quantity strings checked for their syntax.
  definitions['io.k8s.apimachinery.pkg.util.intstr.IntOrString'] = { type: ['integer', 'string'], 'x-kubernetes-int-or-string': true };
  definitions['io.k8s.apimachinery.pkg.api.resource.Quantity'] = { type: ['number', 'string'], format: 'quantity', 'x-kubernetes-int-or-string': true };
  for (const [name, fields] of Object.entries(KUBERNETES_ENUMS)) {
    const properties = definitions[name]?.properties as Record<string, Record<string, unknown>> | undefined;
    for (const [field, values] of Object.entries(fields)) {
      const items = field.endsWith('[]');
      const property = properties?.[items ? field.slice(0, -2) : field];
      const target = items ? (property?.items as Record<string, unknown> | undefined) : property;
      if (target?.type !== 'string') throw new Error(`kube-schema: KUBERNETES_ENUMS: ${name} has no string field ${field}`);
      target.enum = values;
    }
  }
  const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false, formats: FORMATS, code: { optimize: false } });
  ajv.addSchema({ definitions }, KUBERNETES_ID);
  const compiled = (schema: () => object): (() => ValidateFunction) => {
    let validate: ValidateFunction | undefined;
    return () => (validate ??= ajv.compile(schema()));
  };

  const kinds = new Map<string, Kind>();
  for (const [key, name] of Object.entries(generated.kubernetes.kinds)) {
    const ref = `${DEFINITIONS_PREFIX}${name}`;
    kinds.set(key, { schema: { $ref: ref }, owner: name, validate: compiled(() => ({ $ref: `${KUBERNETES_ID}${ref}` })) });
  }
  // A custom kind whose schema is another's (`sameSchemaAs`) shares its schema and validator.
  const custom = new Map<string, { schema: () => FieldSchema; validate: () => ValidateFunction }>();
  const customSchema = (key: string): { schema: () => FieldSchema; validate: () => ValidateFunction } => {
    const found = custom.get(key);
    if (found) return found;
    const entry = generated.crds[key];
    if (!entry) throw new Error(`kube-schema: ${SCHEMAS_FILE}: crds: no ${key}`);
    if ('sameSchemaAs' in entry) return customSchema(entry.sameSchemaAs);
    let schema: FieldSchema | undefined;
    const read = (): FieldSchema => (schema ??= crdSchema(entry.schema as Record<string, unknown>) as FieldSchema);
    const made = { schema: read, validate: compiled(read) };
    custom.set(key, made);
    return made;
  };
  for (const key of Object.keys(generated.crds)) {
    const shared = customSchema(key);
    kinds.set(key, {
      get schema() {
        return shared.schema();
      },
      owner: key,
      validate: shared.validate,
    });
  }

  const kind = (apiVersion: string, kind: string): Kind | undefined => {
    if (typeof apiVersion !== 'string' || typeof kind !== 'string') return undefined;
    return kinds.get(kindKey(apiVersion, kind));
  };
  const definition = (name: string): FieldSchema => {
    const found = definitions[name];
    if (!found) throw new Error(`kube-schema: no Kubernetes ${KUBERNETES_VERSION} definition ${name}`);
    return found as FieldSchema;
  };
  loaded = { kind, definition };
  return loaded;
}

/**
 * A CRD version's schema as validated here: `metadata` is the Kubernetes ObjectMeta (as the API
 * server checks it), and an int-or-string written `anyOf: [integer, string]` is one type check (a
 * single message).
 */
function crdSchema(openApi: Record<string, unknown>): Record<string, unknown> {
  const rewrite = (s: unknown): unknown => {
    if (Array.isArray(s)) return s.map(rewrite);
    if (!isObject(s)) return s;
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(s)) {
      if (key === 'default' || key === 'example' || key === 'enum') out[key] = value;
      else if (key === 'properties' && isObject(value)) out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, rewrite(v)]));
      else out[key] = rewrite(value);
    }
    const anyOf = out.anyOf;
    if (out['x-kubernetes-int-or-string'] === true && Array.isArray(anyOf) && anyOf.every((b) => isObject(b) && Object.keys(b).length === 1 && typeof b.type === 'string')) {
      delete out.anyOf;
      out.type = anyOf.map((b) => (b as { type: string }).type);
    }
    return out;
  };
  const schema = rewrite(openApi) as Record<string, unknown> & { properties?: Record<string, unknown> };
  return { ...schema, properties: { ...schema.properties, metadata: { $ref: `${KUBERNETES_ID}${DEFINITIONS_PREFIX}${OBJECT_META}` } } };
}

/** RFC 3339 date-time, as Kubernetes writes it. */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
/** Standard base64 (what `format: byte` holds: Secret data, CA bundles). */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** A resource quantity as Kubernetes parses it: `500m`, `512Mi`, `1.5`, `1e3`. */
const QUANTITY = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+|[numkMGTPE]|[KMGTPE]i)?$/;

/** The formats the schemas use, checked as the API server checks them. */
const FORMATS = {
  int32: { type: 'number', validate: (n: number) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 },
  int64: { type: 'number', validate: (n: number) => Number.isInteger(n) },
  double: { type: 'number', validate: (n: number) => Number.isFinite(n) },
  byte: { type: 'string', validate: (s: string) => BASE64.test(s) },
  'date-time': { type: 'string', validate: (s: string) => DATE_TIME.test(s) },
  ipv4: { type: 'string', validate: (s: string) => isIPv4(s) },
  ipv6: { type: 'string', validate: (s: string) => isIPv6(s) },
  quantity: { type: 'string', validate: (s: string) => QUANTITY.test(s) },
} as const;

function kindKey(apiVersion: string, kind: string): string {
  return `${apiVersion} ${kind}`;
}

/** `io.k8s.api.core.v1.ServicePort` for `#/definitions/io.k8s.api.core.v1.ServicePort` (and for itself). */
function definitionName(ref: string): string {
  const at = ref.indexOf(DEFINITIONS_PREFIX);
  return at < 0 ? ref : ref.slice(at + DEFINITIONS_PREFIX.length);
}

const DEFINITIONS_PREFIX = '#/definitions/';

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `spec.ports[0].name`; keys that are not identifiers in brackets: `labels["app.kubernetes.io/name"]`. */
function fieldPath(parent: string, key: string): string {
  if (/^[A-Za-z_$][\w$-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * The errors of a validator run on `data`, one message each, naming the field, what was found and
 * what is expected: `spec.replicas: found "two", expected integer`. The errors of the branches of
 * a failed `oneOf`/`anyOf` are left out: the failed `oneOf`/`anyOf` itself is reported.
 */
function schemaErrors(validate: ValidateFunction, data: object): string[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  const combinators = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf' || e.keyword === 'not').map((e) => `${e.schemaPath}/`);
  return errors
    .filter((e) => !combinators.some((prefix) => e.schemaPath.startsWith(prefix)))
    .map((e) => message(e, data));
}

function message(e: ErrorObject, data: object): string {
  const tokens = e.instancePath
    .split('/')
    .slice(1)
    .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
  const at = tokens.reduce((p, token) => (/^\d+$/.test(token) ? `${p}[${token}]` : fieldPath(p, token)), '');
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') return `${fieldPath(at, String(params.missingProperty))} is required`;
  const found = `${at || '(the object)'}: found ${shortJson(tokens.reduce<unknown>((v, token) => (v as Record<string, unknown> | undefined)?.[token], data))}`;
  if (e.keyword === 'type') return `${found}, expected ${String(params.type).split(',').join(' or ')}`;
  if (e.keyword === 'enum') return `${found}, expected one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
  return `${found}, which ${e.message ?? `fails ${e.keyword}`}`;
}

function shortJson(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
