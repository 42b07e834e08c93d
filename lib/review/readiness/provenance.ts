/**
 * Whether the cluster could use the sealed values at all: each SealedSecret records the certificate
 * it is meant for and where that came from, and each key its class (generated or provided), how its
 * value was made and the certificate it was sealed for (the sealing annotations of lib/contract.ts). Production
 * fails on a stand-in certificate, a value sealed for another certificate, and a provided
 * credential that is missing or was generated; elsewhere these are warnings.
 */
import { productionVerdict, type CriterionResult } from './result';
import type { Subject } from './subject';
import { CERTIFICATE_ANNOTATION, CERTIFICATE_PROVENANCE_ANNOTATION, CREDENTIAL_ANNOTATION_PREFIX, type KubeObject, ORIGIN_ANNOTATION_PREFIX, SEALED_ENVIRONMENT_ANNOTATION, SEALED_FOR_ANNOTATION_PREFIX, SUPERUSER_RESEAL_NOTE } from '../../contract';
import { podSpecOf as podSpec } from '../inspect/workloads';

type Json = Record<string, any>;

/** What the judged output is, for these criteria. */

/** One key of a SealedSecret, with what the output records about it. */
export interface SealedKey {
  readonly object: KubeObject;
  /** The namespace and name of the Secret it makes. */
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  /** `generated`, `provided/<form>`, or undefined when not recorded. */
  readonly credential?: string;
  /** `generated`, `provided`, `missing`, `unknown`, or undefined. */
  readonly origin?: string;
  readonly sealedFor?: string;
  readonly scope: string;
}

/** Every key of every SealedSecret: those with a value, and those recorded as missing. */
export function sealedKeys(objects: readonly KubeObject[]): SealedKey[] {
  const out: SealedKey[] = [];
  for (const o of objects.filter((x) => x.kind === 'SealedSecret')) {
    const annotations = o.metadata.annotations ?? {};
    const spec = (o.spec ?? {}) as Json;
    const keys = new Set<string>(Object.keys(spec.encryptedData ?? {}));
    for (const a of Object.keys(annotations)) if (a.startsWith(ORIGIN_ANNOTATION_PREFIX)) keys.add(a.slice(ORIGIN_ANNOTATION_PREFIX.length));
    const scope = annotations['sealedsecrets.bitnami.com/cluster-wide'] === 'true' ? 'cluster-wide' : annotations['sealedsecrets.bitnami.com/namespace-wide'] === 'true' ? 'namespace-wide' : 'strict';
    for (const key of [...keys].sort()) {
      const credential = annotations[`${CREDENTIAL_ANNOTATION_PREFIX}${key}`];
      const origin = annotations[`${ORIGIN_ANNOTATION_PREFIX}${key}`];
      const sealedFor = annotations[`${SEALED_FOR_ANNOTATION_PREFIX}${key}`];
      out.push({
        object: o,
        namespace: spec.template?.metadata?.namespace ?? o.metadata.namespace ?? 'default',
        name: spec.template?.metadata?.name ?? o.metadata.name,
        key,
        scope,
        ...(credential ? { credential } : {}),
        ...(origin ? { origin } : {}),
        ...(sealedFor ? { sealedFor } : {}),
      });
    }
  }
  return out;
}

/** Whether a key is a provided credential that the cluster would not have (missing, or a made-up value). */
export function undeliverable(k: SealedKey): string | undefined {
  if (!k.credential?.startsWith('provided')) return undefined;
  if (k.origin === 'missing') return 'missing: nobody has given it yet';
  if (k.origin === 'generated') return 'generated: a made-up value, not the one its owner gave';
  if (k.origin !== 'provided') return 'of unrecorded origin: it may be a made-up value';
  return undefined;
}

/** The command that seals a key again (or for the first time). */
export function sealCommand(environment: string, k: Pick<SealedKey, 'namespace' | 'name' | 'key' | 'scope' | 'credential'>): string {
  const scope = k.scope !== 'strict' ? ` --scope ${k.scope}` : '';
  const input = k.credential === 'generated' ? ' --generate' : ' < FILE-WITH-THE-VALUE';
  return `npm run seal -- --env ${environment} --namespace ${k.namespace} --name ${k.name} --key ${k.key}${scope}${input}`;
}

function environmentOf(subject: Subject, k: SealedKey): string {
  return k.object.metadata.annotations?.[SEALED_ENVIRONMENT_ANNOTATION] ?? subject.name;
}

/** What the superuser's keys need when they are due: its password the runbook's order (the database first). */
export const SUPERUSER_ROTATION = 'rotate it as docs/database-roles.md, "Passwords and rotation", says';

/**
 * The keys of the PostgreSQL superuser's name and password (`namespace/secret/key`), as the
 * postgres StatefulSet reads them (POSTGRES_USER, POSTGRES_PASSWORD). The name is not rotated: the
 * server reads it only when it creates the database, and another name would lock the role Job out
 * of an existing one. The password is rotated in the database before it is sealed.
 */
export function superuserKeys(objects: readonly KubeObject[]): { name: Set<string>; password: Set<string> } {
  const keys = { name: new Set<string>(), password: new Set<string>() };
  for (const o of objects.filter((x) => x.kind === 'StatefulSet' && x.metadata.name === 'postgres')) {
    for (const e of ((podSpec(o)?.containers ?? []) as Json[]).flatMap((c) => (c.env ?? []) as Json[])) {
      const ref = e.valueFrom?.secretKeyRef;
      if (!ref) continue;
      if (e.name === 'POSTGRES_USER') keys.name.add(`${o.metadata.namespace}/${ref.name}/${ref.key}`);
      if (e.name === 'POSTGRES_PASSWORD') keys.password.add(`${o.metadata.namespace}/${ref.name}/${ref.key}`);
    }
  }
  return keys;
}

/** Every sealed value can be unsealed by the cluster's controller: its certificate, and each value sealed for it. */
export function sealing(subject: Subject): CriterionResult {
  const title = 'Sealing: values sealed for the controller\'s certificate (fetched from the cluster)';
  const secrets = [...subject.objects, ...subject.manual].filter((o) => o.kind === 'SealedSecret');
  if (secrets.length === 0) return productionVerdict(subject, 'sealing', title, [], ['no SealedSecret: nothing to unseal'], []);
  const problems: string[] = [];
  const fix: string[] = [];
  const certificates = new Set(secrets.map((o) => o.metadata.annotations?.[CERTIFICATE_ANNOTATION] ?? 'none'));
  const provenances = new Set(secrets.map((o) => o.metadata.annotations?.[CERTIFICATE_PROVENANCE_ANNOTATION] ?? 'none'));
  const [certificate] = certificates;
  const [provenance] = provenances;
  const env = subject.name;
  if (certificates.size > 1) problems.push(`the SealedSecrets name ${certificates.size} different certificates: ${[...certificates].join(', ')}`);
  if (certificate === 'none' || provenance === 'none') problems.push('no sealing certificate recorded: nothing says which controller could unseal these values');
  else if (provenance === 'stand-in') problems.push(`the sealing certificate ${certificate} is a stand-in made by this project: no controller holds its key, so no value would be unsealed`);
  else if (provenance !== 'fetched') problems.push(`the sealing certificate ${certificate} has no recorded provenance: only one fetched from the controller is trusted`);
  const keyed = sealedKeys([...subject.objects, ...subject.manual]).filter((k) => k.origin !== 'missing');
  const stale = keyed.filter((k) => k.sealedFor !== certificate);
  for (const k of stale) problems.push(`${k.namespace}/${k.name} key ${k.key}: sealed for ${k.sealedFor ?? 'an unrecorded certificate'}, not the current ${certificate}`);
  if (problems.length > 0) {
    // Fetching the controller's certificate changes the current one: every value is sealed again.
    const reseal = provenance === 'fetched' && certificates.size === 1 ? stale : keyed;
    if (provenance !== 'fetched' || certificates.size > 1) fix.push(`npm run seal -- --fetch-cert --env ${env}`);
    const superuser = superuserKeys(subject.objects);
    for (const k of reseal) {
      const at = `${k.namespace}/${k.name}/${k.key}`;
      const note = superuser.name.has(at) ? SUPERUSER_RESEAL_NOTE.username : superuser.password.has(at) ? SUPERUSER_RESEAL_NOTE.password : undefined;
      fix.push(`${sealCommand(environmentOf(subject, k), k)}${note ? `  ${note}` : ''}`);
    }
  }
  return productionVerdict(subject, 'sealing', title, problems, [`${secrets.length} SealedSecret(s) for certificate ${certificate} (${provenance}); all ${keyed.length} value(s) sealed for it`], fix);
}

/** Every provided credential was given by its owner: none missing, none generated. */
export function credentials(subject: Subject): CriterionResult {
  const title = 'Credentials: every provided credential given by its owner (none missing or made up)';
  const keys = sealedKeys([...subject.objects, ...subject.manual]);
  const problems: string[] = [];
  const fix: string[] = [];
  for (const k of keys.filter((x) => x.credential === undefined)) problems.push(`${k.namespace}/${k.name} key ${k.key}: its class (generated or provided) is not recorded`);
  const providedKeys = keys.filter((k) => k.credential?.startsWith('provided'));
  for (const k of providedKeys) {
    const why = undeliverable(k);
    if (!why) continue;
    problems.push(`${k.namespace}/${k.name} key ${k.key} (${k.credential}): ${why}`);
    fix.push(sealCommand(environmentOf(subject, k), k));
  }
  const given = providedKeys.filter((k) => !undeliverable(k));
  return productionVerdict(subject, 'credentials', title, problems, [
    `${providedKeys.length} provided credential(s), each given by its owner${given.length ? `: ${given.map((k) => `${k.namespace}/${k.name} ${k.key}`).join(', ')}` : ''}`,
    `${keys.length - providedKeys.length} generated value(s)`,
  ], fix);
}
