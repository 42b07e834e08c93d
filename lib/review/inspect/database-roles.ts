/**
 * Which database role each container connects as, read from rendered objects: the user named by
 * PGUSER or DATA_SOURCE_USER (lib/contract.ts), and who reads the superuser's Secret (the
 * one the postgres StatefulSet takes POSTGRES_PASSWORD from). Readiness and the diff ask these
 * questions of the same objects, so they ask them here.
 */
import { isRecord } from '../../model/json';
import { DATABASE_ROLES_COMPONENT, DATABASE_USER_VARIABLES, databaseRoleOf, type DatabaseRole } from '../../contract';
import { podSpecOf } from './workloads';
import { type KubeObject } from '../../contract';

type Json = Record<string, any>;

/** A role a container connects as; `superuser` for a user read from a Secret or outside the managed roles. */
export interface ConnectedRole {
  readonly container: string;
  /** The login, or `secret <name>/<key>` where it comes from a Secret. */
  readonly user: string;
  readonly role: DatabaseRole | 'superuser';
}

/** Every container and init container of a pod-owning object. */
export function podContainers(o: KubeObject): Json[] {
  const spec = podSpecOf(o);
  if (!spec) return [];
  return [...((spec.initContainers ?? []) as Json[]), ...((spec.containers ?? []) as Json[])].filter(isRecord);
}

/** The role each container of `o` connects as, for the containers that name a database user. */
export function connectedRoles(o: KubeObject): ConnectedRole[] {
  const roles: ConnectedRole[] = [];
  for (const c of podContainers(o)) {
    for (const e of ((c.env ?? []) as Json[]).filter((x) => DATABASE_USER_VARIABLES.includes(x.name))) {
      const ref = e.valueFrom?.secretKeyRef;
      if (typeof e.value === 'string') roles.push({ container: String(c.name), user: e.value, role: databaseRoleOf(e.value) ?? 'superuser' });
      else if (ref) roles.push({ container: String(c.name), user: `secret ${ref.name}/${ref.key}`, role: 'superuser' });
    }
  }
  return roles;
}

/** The Secret the server takes its superuser password from (POSTGRES_PASSWORD of StatefulSet postgres). */
export function superuserSecret(objects: readonly KubeObject[]): { namespace: string; name: string } | undefined {
  const postgres = objects.find((o) => o.kind === 'StatefulSet' && o.metadata.name === 'postgres');
  if (!postgres) return undefined;
  for (const c of podContainers(postgres)) {
    const ref = ((c.env ?? []) as Json[]).find((e) => e.name === 'POSTGRES_PASSWORD')?.valueFrom?.secretKeyRef;
    if (ref?.name) return { namespace: postgres.metadata.namespace ?? '', name: String(ref.name) };
  }
  return undefined;
}

/** Whether a container reads Secret `name` (env, envFrom or a mounted volume of the pod). */
export function containerReadsSecret(o: KubeObject, container: Json, name: string): boolean {
  if (((container.env ?? []) as Json[]).some((e) => e.valueFrom?.secretKeyRef?.name === name)) return true;
  if (((container.envFrom ?? []) as Json[]).some((e) => e.secretRef?.name === name)) return true;
  const volumes = ((podSpecOf(o)?.volumes ?? []) as Json[]).filter((v) => v.secret?.secretName === name || (v.projected?.sources ?? []).some((s: Json) => s.secret?.name === name));
  return ((container.volumeMounts ?? []) as Json[]).some((m) => volumes.some((v) => v.name === m.name));
}

/** Whether `o` is the role Job, the one workload allowed to hold the superuser password. */
export function isRoleJob(o: KubeObject): boolean {
  return o.kind === 'Job' && o.metadata.labels?.['app.kubernetes.io/component'] === DATABASE_ROLES_COMPONENT;
}

/** Whether container `c` of `o` is the server itself (it needs the superuser password on first start). */
export function isDatabaseServer(o: KubeObject, c: Json): boolean {
  return o.kind === 'StatefulSet' && o.metadata.name === 'postgres' && ((c.env ?? []) as Json[]).some((e) => e.name === 'POSTGRES_PASSWORD');
}
