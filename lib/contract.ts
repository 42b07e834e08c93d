/**
 * The database's roles, as names that the constructs, readiness and the diff share (a contract
 * module: plain data, no constructs). Each workload connects as the least of them it needs; only
 * the role Job connects as the superuser of the official image (`POSTGRES_USER`).
 */

/** The roles roles.sh keeps, least powerful first: readiness and the diff rank a workload's role by this order. */
export const DATABASE_ROLES = ['monitoring', 'backup', 'app', 'owner'] as const;
export type DatabaseRole = (typeof DATABASE_ROLES)[number];

/** What each role may do, for messages and docs. */
export const DATABASE_ROLE_DUTIES: Readonly<Record<DatabaseRole, string>> = Object.freeze({
  monitoring: 'pg_monitor, for postgres_exporter',
  backup: 'pg_read_all_data and CREATEDB, for pg_dump and the restore drill',
  app: 'SELECT, INSERT, UPDATE, DELETE on the application tables, for the backend',
  owner: 'owns the database and its schema, for the migrations and the manual restore',
});

/** The login name of a role: `<database>_<role>` (gravl_app). */
export function databaseRoleName(database: string, role: DatabaseRole): string {
  return `${database}_${role}`;
}

/** The Secret holding a role's password (key `password`). */
export function databaseRoleSecret(role: DatabaseRole): string {
  return `gravl-db-${role}`;
}

/** The role a login name is, by its suffix; undefined for any other name. */
export function databaseRoleOf(user: string): DatabaseRole | undefined {
  return DATABASE_ROLES.find((role) => user.endsWith(`_${role}`));
}

/** A role's power: its index in DATABASE_ROLES; the superuser is above them all. */
export function databaseRoleRank(role: DatabaseRole | 'superuser'): number {
  return role === 'superuser' ? DATABASE_ROLES.length : DATABASE_ROLES.indexOf(role);
}

/** The component label of the role Job: the one workload that may hold the superuser password. */
export const DATABASE_ROLES_COMPONENT = 'database-roles';

/** The libpq and postgres_exporter variables that name the user a container connects as. */
export const DATABASE_USER_VARIABLES: readonly string[] = Object.freeze(['PGUSER', 'DATA_SOURCE_USER']);

/** Pod annotation of a database client: a hash of its role's sealed password, so a rotation rolls the pods. */
export const DATABASE_PASSWORD_ANNOTATION = 'gravl.app/database-password';
