#!/bin/sh
# roles.sh: create the database's least-privilege roles and keep them exactly as declared: run on
# every sync, before the migrations, as the only holder of the superuser password. Idempotent:
# a second run changes nothing; a role, grant or membership widened by hand is narrowed again,
# and each role's password is set from its Secret, so rotating a sealed password takes effect
# with the next sync.
#
# The roles (names from the environment below):
#   owner       LOGIN; owns the database, schema public and every object in the schemas it owns:
#               the migrations run as it (DDL on the application's schema).
#   app         LOGIN, CONNECT; USAGE on the owner's schemas; SELECT, INSERT, UPDATE, DELETE on
#               their tables (now and, by default privileges, later), USAGE and SELECT on their
#               sequences. Nothing else: no CREATE, no TEMP, no TRUNCATE, no role changes.
#   backup      LOGIN, CONNECT, member of pg_read_all_data (pg_dump reads everything) and CREATEDB
#               (the restore drill creates, fills and drops its own throwaway database).
#   monitoring  LOGIN, CONNECT, member of pg_monitor (postgres_exporter), at most 5 connections.
# None is a superuser, may create roles, replicate or bypass row security; none is a member of
# any other role (pg_execute_server_program, pg_write_server_files, ... or another of these).
# Objects of the owner's schemas that another role owns (the superuser, when the application
# used to connect as it) are handed to the owner role.
#
# Needs psql 15 or later (\getenv): run it in the server's image.
#
# Steps, one log line each on stdout:
#   1. wait until the server accepts connections (at most ROLES_WAIT_SECONDS);
#   2. run the statements above in one transaction: all or nothing.
# Exits non-zero on any failure.
#
# Environment:
#   PGHOST, PGPORT, PGUSER, PGPASSWORD  connection as the superuser (libpq)
#   PGDATABASE            the application's database (required)
#   ROLE_OWNER, ROLE_APP, ROLE_BACKUP, ROLE_MONITORING  the role names (required)
#   ROLE_OWNER_PASSWORD, ROLE_APP_PASSWORD, ROLE_BACKUP_PASSWORD, ROLE_MONITORING_PASSWORD
#                         their passwords (required, each at least 16 characters)
#   ROLES_WAIT_SECONDS    how long to wait for the server (default 300)

set -eu
# shellcheck source=common.sh
. "$(dirname -- "$0")/common.sh"

ROLES_WAIT_SECONDS=${ROLES_WAIT_SECONDS:-300}
[ -n "$PGDATABASE" ] || die "PGDATABASE is not set: expected the name of the application's database"
for var in ROLE_OWNER ROLE_APP ROLE_BACKUP ROLE_MONITORING; do
  eval "value=\${$var:-}"
  # shellcheck disable=SC2154 # set by the eval
  case $value in
    '' ) die "$var is not set: expected a role name" ;;
    *[!a-z0-9_]* | [!a-z_]*) die "$var: found \"$value\", expected a role name of lowercase letters, digits and _" ;;
  esac
  eval "password=\${${var}_PASSWORD:-}"
  # shellcheck disable=SC2154 # set by the eval
  [ "${#password}" -ge 16 ] || die "${var}_PASSWORD: found ${#password} characters, expected a generated password of at least 16"
done
case $ROLES_WAIT_SECONDS in
  '' | *[!0-9]*) die "ROLES_WAIT_SECONDS: found \"$ROLES_WAIT_SECONDS\", expected a number of seconds" ;;
esac

waited=0
until pg_isready --quiet --timeout=5; do
  [ "$waited" -lt "$ROLES_WAIT_SECONDS" ] || die "the server at ${PGHOST:-localhost}:${PGPORT:-5432} did not accept connections within $ROLES_WAIT_SECONDS seconds"
  [ "$waited" -gt 0 ] || log "waiting for the server at ${PGHOST:-localhost}:${PGPORT:-5432}"
  sleep 2
  waited=$((waited + 2))
done

log "keeping roles $ROLE_OWNER, $ROLE_APP, $ROLE_BACKUP and $ROLE_MONITORING of database $PGDATABASE in step"
# Values reach the SQL as psql variables, quoted by psql (:'v' literal, :"v" identifier), never
# spliced into the text; the passwords are read from the environment by \getenv.
psql --no-password --no-psqlrc --quiet --single-transaction -v ON_ERROR_STOP=1 \
  -v db="$PGDATABASE" -v owner="$ROLE_OWNER" -v app="$ROLE_APP" -v backup="$ROLE_BACKUP" -v monitoring="$ROLE_MONITORING" <<'SQL' ||
\getenv owner_password ROLE_OWNER_PASSWORD
\getenv app_password ROLE_APP_PASSWORD
\getenv backup_password ROLE_BACKUP_PASSWORD
\getenv monitoring_password ROLE_MONITORING_PASSWORD
SET client_min_messages = warning;
-- The server keeps each password as a SCRAM verifier, never as text.
SET password_encryption = 'scram-sha-256';

SELECT format('CREATE ROLE %I', r) FROM unnest(ARRAY[:'owner', :'app', :'backup', :'monitoring']) AS r
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)
\gexec

-- Attributes, set on every run: a role widened by hand is narrowed again.
ALTER ROLE :"owner" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1 PASSWORD :'owner_password';
ALTER ROLE :"app" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1 PASSWORD :'app_password';
ALTER ROLE :"backup" WITH LOGIN NOSUPERUSER CREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT -1 PASSWORD :'backup_password';
ALTER ROLE :"monitoring" WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS INHERIT CONNECTION LIMIT 5 PASSWORD :'monitoring_password';
-- Settings a role could carry (search_path, role, session_authorization): none.
SELECT format('ALTER ROLE %I RESET ALL', r) FROM unnest(ARRAY[:'owner', :'app', :'backup', :'monitoring']) AS r
\gexec

-- Memberships: exactly pg_read_all_data for backup and pg_monitor for monitoring.
SELECT format('REVOKE %I FROM %I GRANTED BY %I', g.rolname, m.rolname, gr.rolname)
  FROM pg_auth_members a
  JOIN pg_roles g ON g.oid = a.roleid
  JOIN pg_roles m ON m.oid = a.member
  JOIN pg_roles gr ON gr.oid = a.grantor
 WHERE (m.rolname IN (:'owner', :'app', :'backup', :'monitoring') OR g.rolname IN (:'owner', :'app', :'backup', :'monitoring'))
   AND NOT (m.rolname = :'backup' AND g.rolname = 'pg_read_all_data')
   AND NOT (m.rolname = :'monitoring' AND g.rolname = 'pg_monitor')
\gexec
GRANT pg_read_all_data TO :"backup";
GRANT pg_monitor TO :"monitoring";

-- The database: the owner's; the others may connect, and nothing more (no CREATE, no TEMP).
ALTER DATABASE :"db" OWNER TO :"owner";
REVOKE ALL ON DATABASE :"db" FROM PUBLIC, :"app", :"backup", :"monitoring";
GRANT CONNECT ON DATABASE :"db" TO :"app", :"backup", :"monitoring";

-- The application's schema: the owner's, closed to everyone else.
ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;

-- Objects of the owner's schemas that someone else owns are handed to the owner. Sequences that
-- belong to a table column follow their table; objects of an extension stay the extension's.
SELECT format('ALTER %s %s OWNER TO %I',
              CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW' WHEN 'S' THEN 'SEQUENCE' WHEN 'f' THEN 'FOREIGN TABLE' ELSE 'TABLE' END,
              c.oid::regclass, :'owner')
  FROM pg_class c
  JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = :'owner')
   AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f')
   AND c.relowner <> (SELECT oid FROM pg_roles WHERE rolname = :'owner')
   AND NOT EXISTS (SELECT 1 FROM pg_depend d
                    WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid
                      AND (d.deptype = 'e' OR (c.relkind = 'S' AND d.deptype IN ('a', 'i'))))
 ORDER BY c.relkind = 'S', c.oid
\gexec

-- In every schema the owner owns: the app reads and writes rows, and nothing else.
SELECT format('REVOKE ALL ON SCHEMA %1$I FROM %2$I, %3$I, %4$I', n.nspname, :'app', :'backup', :'monitoring'),
       format('GRANT USAGE ON SCHEMA %1$I TO %2$I', n.nspname, :'app'),
       format('REVOKE ALL ON ALL TABLES IN SCHEMA %1$I FROM %2$I, %3$I, %4$I', n.nspname, :'app', :'backup', :'monitoring'),
       format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %1$I TO %2$I', n.nspname, :'app'),
       format('REVOKE ALL ON ALL SEQUENCES IN SCHEMA %1$I FROM %2$I, %3$I, %4$I', n.nspname, :'app', :'backup', :'monitoring'),
       format('GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA %1$I TO %2$I', n.nspname, :'app')
  FROM pg_namespace n
 WHERE n.nspowner = (SELECT oid FROM pg_roles WHERE rolname = :'owner')
\gexec

-- What the migrations create later: the same, by default.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ALL ON TABLES FROM :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" REVOKE ALL ON SEQUENCES FROM :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" GRANT USAGE, SELECT ON SEQUENCES TO :"app";
SQL
  die "keeping the roles of $PGDATABASE in step failed; the transaction was rolled back and the roles are as they were"
log "done: roles $ROLE_OWNER (owner), $ROLE_APP (application), $ROLE_BACKUP (backup) and $ROLE_MONITORING (monitoring) are as declared"
