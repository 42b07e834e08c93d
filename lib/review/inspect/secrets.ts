/**
 * Reads rendered objects for the Secrets they use and the objects that produce Secrets, so a check
 * can prove that every Secret read is produced by an object in the same output. Works on plain
 * rendered YAML (no construct tree), so it also judges hand-edited output.
 */
import { podSpecOf } from './workloads';
import { type KubeObject } from '../../contract';
import { TLS_DEFAULTS } from '../../model/defaults';

/** A Secret some object reads. */
export interface SecretReference {
  readonly namespace: string;
  readonly name: string;
  /** Keys read, where the reference names them. */
  readonly keys: readonly string[];
  /** "Deployment gravl-staging/backend env PGPASSWORD" */
  readonly readBy: string;
}

/** An object that makes a Secret exist, and how. */
export interface SecretProducer {
  readonly namespace: string;
  readonly name: string;
  /** "SealedSecret gravl-staging/gravl-db-credentials" */
  readonly producedBy: string;
  /** The object that produces it. */
  readonly object: KubeObject;
  /** Keys it provides, where known (undefined: unknown, e.g. issued by cert-manager). */
  readonly keys?: readonly string[];
}

type Json = Record<string, any>;

/** The annotation that has cert-manager issue an Ingress's (or a Gateway's) certificate from a ClusterIssuer. */
export const CLUSTER_ISSUER_ANNOTATION = 'cert-manager.io/cluster-issuer';
/** Either annotation that has cert-manager issue the certificate: from a ClusterIssuer, or an Issuer of the namespace. */
export const ISSUER_ANNOTATIONS: readonly string[] = Object.freeze([CLUSTER_ISSUER_ANNOTATION, 'cert-manager.io/issuer']);

/** The environment's default namespace of cert-manager, where it reads ClusterIssuers' Secrets unless installed elsewhere. */
export const DEFAULT_CERT_MANAGER_NAMESPACE = TLS_DEFAULTS.certManagerNamespace;

/**
 * The namespace cert-manager reads the ClusterIssuers' Secrets from, as the output shows it: the one
 * namespace the output does not create itself (cert-manager's install creates its own) in which the
 * Secrets the ClusterIssuers read are produced. {@link DEFAULT_CERT_MANAGER_NAMESPACE} when no
 * ClusterIssuer reads a Secret, or when the producers point to no single such namespace (then the
 * references are judged there, and fail unless produced there).
 */
export function certManagerNamespace(objects: readonly KubeObject[]): string {
  const created = new Set(objects.filter((o) => o.kind === 'Namespace').map((o) => o.metadata.name));
  const read = new Set(objects.flatMap(issuerSecrets).map((s) => s.name));
  const namespaces = new Set(secretProducers(objects).filter((p) => read.has(p.name) && !created.has(p.namespace)).map((p) => p.namespace));
  return namespaces.size === 1 ? [...namespaces][0]! : DEFAULT_CERT_MANAGER_NAMESPACE;
}

/** The Secrets a ClusterIssuer reads (its CA key pair, its dns01 API token), from cert-manager's namespace. */
function issuerSecrets(o: KubeObject): Array<Omit<SecretReference, 'namespace'>> {
  if (o.kind !== 'ClusterIssuer') return [];
  const spec = o.spec as Json;
  const out: Array<Omit<SecretReference, 'namespace'>> = [];
  if (spec.ca?.secretName) out.push({ name: spec.ca.secretName, keys: ['tls.crt', 'tls.key'], readBy: `ClusterIssuer ${o.metadata.name} ca` });
  for (const solver of (spec.acme?.solvers ?? []) as Json[]) {
    const token = solver.dns01?.cloudflare?.apiTokenSecretRef;
    if (token) out.push({ name: token.name, keys: [token.key], readBy: `ClusterIssuer ${o.metadata.name} dns01` });
  }
  return out;
}

/** Every Secret read by a pod (env, envFrom, volumes, image pull secrets) or by a ClusterIssuer. */
export function secretReferences(objects: readonly KubeObject[], issuerNamespace = certManagerNamespace(objects)): SecretReference[] {
  const refs: SecretReference[] = [];
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? 'default';
    const owner = `${o.kind} ${namespace}/${o.metadata.name}`;
    const pod = podSpecOf(o);
    if (pod) {
      for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Json[]) {
        for (const e of (c.env ?? []) as Json[]) {
          const ref = e.valueFrom?.secretKeyRef;
          if (ref && !ref.optional) refs.push({ namespace, name: ref.name, keys: [ref.key], readBy: `${owner} env ${e.name}` });
        }
        for (const e of (c.envFrom ?? []) as Json[]) {
          if (e.secretRef && !e.secretRef.optional) refs.push({ namespace, name: e.secretRef.name, keys: [], readBy: `${owner} envFrom` });
        }
      }
      for (const v of (pod.volumes ?? []) as Json[]) {
        if (v.secret && !v.secret.optional) refs.push({ namespace, name: v.secret.secretName, keys: ((v.secret.items ?? []) as Json[]).map((i) => i.key), readBy: `${owner} volume ${v.name}` });
        for (const source of (v.projected?.sources ?? []) as Json[]) {
          if (source.secret && !source.secret.optional) refs.push({ namespace, name: source.secret.name, keys: ((source.secret.items ?? []) as Json[]).map((i) => i.key), readBy: `${owner} volume ${v.name}` });
        }
      }
      for (const s of (pod.imagePullSecrets ?? []) as Json[]) refs.push({ namespace, name: s.name, keys: [], readBy: `${owner} imagePullSecrets` });
    }
    for (const secret of issuerSecrets(o)) refs.push({ namespace: issuerNamespace, ...secret });
  }
  return refs;
}

/** Every object that makes a Secret exist: SealedSecrets, ExternalSecrets, cert-manager Certificates and Ingress TLS issued by cert-manager. */
export function secretProducers(objects: readonly KubeObject[]): SecretProducer[] {
  const out: SecretProducer[] = [];
  for (const o of objects) {
    const namespace = o.metadata.namespace ?? 'default';
    const spec = o.spec as Json | undefined;
    const id = `${o.kind} ${namespace}/${o.metadata.name}`;
    if (o.kind === 'SealedSecret') {
      const name = spec?.template?.metadata?.name ?? o.metadata.name;
      out.push({ namespace: spec?.template?.metadata?.namespace ?? namespace, name, producedBy: id, object: o, keys: Object.keys(spec?.encryptedData ?? {}) });
    } else if (o.kind === 'ExternalSecret') {
      out.push({ namespace, name: spec?.target?.name ?? o.metadata.name, producedBy: id, object: o, keys: ((spec?.data ?? []) as Json[]).map((d) => d.secretKey) });
    } else if (o.kind === 'Certificate' && spec?.secretName) {
      out.push({ namespace, name: spec.secretName, producedBy: id, object: o, keys: ['tls.crt', 'tls.key', 'ca.crt'] });
    } else if (o.kind === 'Ingress' && ISSUER_ANNOTATIONS.some((a) => o.metadata.annotations?.[a])) {
      for (const tls of (spec?.tls ?? []) as Json[]) if (tls.secretName) out.push({ namespace, name: tls.secretName, producedBy: `${id} (cert-manager)`, object: o, keys: ['tls.crt', 'tls.key'] });
    }
  }
  return out;
}

/** References with no producer in the same namespace, or whose keys the producer does not provide. */
export function unproducedSecrets(objects: readonly KubeObject[]): Array<{ reference: SecretReference; missingKeys: readonly string[] }> {
  const producers = secretProducers(objects);
  const out: Array<{ reference: SecretReference; missingKeys: readonly string[] }> = [];
  for (const reference of secretReferences(objects)) {
    const producer = producers.find((p) => p.namespace === reference.namespace && p.name === reference.name);
    if (!producer) {
      out.push({ reference, missingKeys: reference.keys });
      continue;
    }
    const missingKeys = producer.keys ? reference.keys.filter((k) => !producer.keys!.includes(k)) : [];
    if (missingKeys.length > 0) out.push({ reference, missingKeys });
  }
  return out;
}

/** Secret objects that carry values in plain text (base64 is not encryption). */
export function plaintextSecrets(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => o.kind === 'Secret' && (Object.keys((o.data as object | undefined) ?? {}).length > 0 || Object.keys((o.stringData as object | undefined) ?? {}).length > 0));
}
