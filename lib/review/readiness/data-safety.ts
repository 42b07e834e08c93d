/**
 * Readiness criteria of the data tier's safety: backups copied off-site (and proven from there),
 * and every workload connecting as the least database role it needs, the superuser password held
 * by the role Job alone. They read rendered objects only, like every criterion.
 */
import { parseImage } from '../../model/formats';
import { connectedRoles, containerReadsSecret, isDatabaseServer, isRoleJob, podContainers, superuserSecret } from '../inspect/database-roles';
import { POD_OWNERS } from '../inspect/workloads';
import { result, type CriterionResult } from './result';
import { type KubeObject, objectId as id } from '../../contract';

type Json = Record<string, any>;

/** What the data-safety criteria read: the applied objects, the manual ones, and the production bar. */
export interface DataSafetyView {
  readonly objects: readonly KubeObject[];
  readonly manual: readonly KubeObject[];
  readonly production: boolean;
}

const envOf = (c: Json): Record<string, string | undefined> =>
  Object.fromEntries(((c.env ?? []) as Json[]).map((e) => [String(e.name), typeof e.value === 'string' ? e.value : undefined]));
const runs = (c: Json, script: string): boolean => ((c.command ?? []) as unknown[]).some((a) => typeof a === 'string' && a.endsWith(`/${script}`));
/** An all-zero digest is a stand-in, never an image a registry serves. */
const standInDigest = (image: string): boolean => /^sha256:0{64}$/.test(parseImage(image)?.digest ?? '');

/** Production copies every dump off-site and the drill proves that copy. */
export function offsiteBackups(v: DataSafetyView): CriterionResult {
  const title = 'Backups copied off-site, pruned as the volume, and the drill restores the off-site copy';
  const problems: string[] = [];
  const evidence: string[] = [];
  const cron = (name: string) => v.objects.find((o) => o.kind === 'CronJob' && o.metadata.name === name);
  const backup = cron('postgres-backup');
  const drill = cron('postgres-restore-drill');
  const containers = backup ? podContainers(backup) : [];
  const upload = containers.find((c) => runs(c, 'upload.sh'));
  if (!upload) {
    const where = backup ? `${id(backup)} copies no dump off-site (no container runs upload.sh)` : 'no CronJob postgres-backup';
    if (v.production) problems.push(`${where}: a production cluster lost with its storage takes every backup with it`);
    else evidence.push(`${where}; not required outside production`);
    return result('offsite-backup', title, problems, evidence);
  }
  const uploadEnv = envOf(upload);
  const dump = containers.find((c) => runs(c, 'backup.sh'));
  const retainVolume = dump ? envOf(dump).BACKUP_RETAIN : undefined;
  evidence.push(`${id(backup!)}: container ${upload.name} copies every dump and its checksum to ${uploadEnv.BACKUP_S3_URI ?? '?'}${uploadEnv.BACKUP_S3_ENDPOINT ? ` (endpoint ${uploadEnv.BACKUP_S3_ENDPOINT})` : ''}`);
  if (!uploadEnv.BACKUP_S3_URI?.startsWith('s3://')) problems.push(`${id(backup!)}: container ${upload.name} has no BACKUP_S3_URI s3://bucket/prefix`);
  if (uploadEnv.BACKUP_RETAIN === undefined || uploadEnv.BACKUP_RETAIN !== retainVolume) {
    problems.push(`${id(backup!)}: the bucket keeps BACKUP_RETAIN=${uploadEnv.BACKUP_RETAIN ?? 'unset'} dumps, the volume ${retainVolume ?? 'unset'}: expected the same retention`);
  } else evidence.push(`pruned to the newest ${uploadEnv.BACKUP_RETAIN} dumps off-site, as on the volume`);
  if (typeof upload.image === 'string' && standInDigest(upload.image)) {
    problems.push(`${id(backup!)}: container ${upload.name} runs ${upload.image}, a stand-in digest: pin the digest the registry serves`);
  }
  const fetch = drill ? podContainers(drill).find((c) => runs(c, 'fetch-offsite.sh')) : undefined;
  if (!drill) problems.push('no CronJob postgres-restore-drill: the off-site copy is never proven by a restore');
  else if (!fetch) problems.push(`${id(drill)}: restores the volume copy only, never the off-site copy`);
  else {
    const same = envOf(fetch).BACKUP_S3_URI === uploadEnv.BACKUP_S3_URI;
    if (!same) problems.push(`${id(drill)}: fetches ${envOf(fetch).BACKUP_S3_URI ?? '?'}, not where the backup copies to (${uploadEnv.BACKUP_S3_URI})`);
    else evidence.push(`${id(drill)}: fetches and verifies the newest off-site copy (container ${fetch.name}), then restores it into a throwaway database`);
  }
  return result('offsite-backup', title, problems, evidence);
}

/** Each workload connects as its least role; the superuser password is the role Job's alone. */
export function databaseRoles(v: DataSafetyView): CriterionResult {
  const title = 'Database roles: each workload connects as its least role; only the role Job holds the superuser password';
  const problems: string[] = [];
  const evidence: string[] = [];
  const workloads = [...v.objects, ...v.manual].filter((o) => POD_OWNERS.includes(o.kind));
  const superuser = superuserSecret(v.objects);
  const roleJob = workloads.find(isRoleJob);
  if (!roleJob) problems.push('no role Job (component database-roles): nothing creates the least-privilege roles or sets their passwords');
  else evidence.push(`${id(roleJob)} keeps the roles and alone reads the superuser's Secret${superuser ? ` ${superuser.name}` : ''}`);
  for (const o of workloads) {
    for (const c of podContainers(o)) {
      if (isRoleJob(o) || isDatabaseServer(o, c)) continue;
      if (superuser && containerReadsSecret(o, c, superuser.name)) problems.push(`${id(o)}: container ${c.name} reads the superuser's Secret ${superuser.name}: it can connect as the superuser`);
    }
    if (isRoleJob(o)) continue;
    for (const r of connectedRoles(o)) {
      if (r.role === 'superuser') problems.push(`${id(o)}: container ${r.container} connects as ${r.user}, not one of the least-privilege roles`);
      else evidence.push(`${id(o)}: container ${r.container} connects as ${r.user} (${r.role})`);
    }
  }
  return result('db-roles', title, problems, evidence);
}
