/**
 * loki.yaml: Loki 3.x as a single binary (image `grafana/loki:3.4.2`), one replica, everything on
 * the local filesystem under one data directory, so that one volume holds all Loki writes: an
 * emptyDir in staging, a PersistentVolumeClaim of a StorageClass the cluster has in production
 * (the go-live's Loki crashed because its claim asked for a class the cluster lacked).
 */
import { HOUR_MS, parseDuration } from '../../model/formats';
import { checkCodeOptions, isPlainAbsolutePath } from '../../kit/options';
import { LOKI_INDEX_PERIOD_HOURS } from '../../model/rules';
import { LOKI } from '../names';

/** Loki's gRPC port (used between Loki's own modules; not exposed by the Service). */
export const LOKI_GRPC_PORT = 9095;

/** The data directory when none is given: the volume's mount path. */
export const DEFAULT_LOKI_DATA_DIR = '/loki';

/** Options of {@link lokiConfig}. */
export interface LokiConfigOptions {
  /**
   * How long logs are kept, as a Loki duration (`168h`, `30d`, `2w`, `1y`): at least 24h and a
   * whole number of days, since the compactor deletes whole daily index tables. The environment
   * model refuses any other (`logging.loki.retention`, see `lokiRetentionProblem`).
   */
  readonly retentionPeriod: string;
  /**
   * The directory every file Loki writes lives under (chunks, index, WAL, compactor, rules): the
   * mount path of Loki's one volume.
   * @default '/loki'
   */
  readonly dataDir?: string;
  /**
   * The first day (`YYYY-MM-DD`, UTC) of the schema period (TSDB, v13). Never change it once Loki
   * holds data: a new schema is added as a new period starting on a future day.
   * @default '2024-01-01'
   */
  readonly schemaFrom?: string;
}

function isDay(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

/** The options set in code (never from the environment file): a wrong one is a programming error. */
function checkOptions(options: LokiConfigOptions): void {
  checkCodeOptions('lokiConfig', (check) => {
    if (options.dataDir !== undefined) {
      check('dataDir', isPlainAbsolutePath(options.dataDir), options.dataDir, 'an absolute path of plain segments (letters, digits, . _ -) without a trailing slash, such as /loki');
    }
    if (options.schemaFrom !== undefined) {
      check('schemaFrom', typeof options.schemaFrom === 'string' && isDay(options.schemaFrom), options.schemaFrom, 'a calendar day as YYYY-MM-DD, such as 2024-01-01');
    }
  });
}

function hours(ms: number): string {
  return `${ms / HOUR_MS}h`;
}

/**
 * loki.yaml for the `loki` StatefulSet: no multi-tenancy (`auth_enabled: false`), HTTP on 3100
 * and gRPC on 9095, one replica with an in-memory ring, TSDB index with schema v13 in daily
 * periods, chunks and index on the filesystem under `dataDir`, retention applied by the compactor
 * (`retentionPeriod`), structured metadata and the volume API on (Grafana's log volume panels),
 * the ruler on local storage, and no usage reporting (the pods have no internet egress). Every
 * path Loki writes is under `dataDir`. The retention is taken as the environment model validated
 * it; a wrong `dataDir` or `schemaFrom` (set in code) throws an `Error` naming each.
 *
 * Loki starts with `-config.file=<mounted file>`; `-target=all` is its default.
 */
export function lokiConfig(options: LokiConfigOptions): Record<string, unknown> {
  checkOptions(options);
  const dataDir = options.dataDir ?? DEFAULT_LOKI_DATA_DIR;
  const schemaFrom = options.schemaFrom ?? '2024-01-01';
  const retention = options.retentionPeriod;
  const retentionMs = parseDuration(retention)!;
  const week = 7 * 24 * HOUR_MS;

  return {
    auth_enabled: false,
    server: {
      http_listen_port: LOKI.port.port,
      grpc_listen_port: LOKI_GRPC_PORT,
      log_level: 'info',
    },
    common: {
      path_prefix: dataDir,
      instance_addr: '127.0.0.1',
      replication_factor: 1,
      ring: { kvstore: { store: 'inmemory' } },
      storage: {
        filesystem: {
          chunks_directory: `${dataDir}/chunks`,
          rules_directory: `${dataDir}/rules`,
        },
      },
    },
    schema_config: {
      configs: [
        {
          from: schemaFrom,
          store: 'tsdb',
          object_store: 'filesystem',
          schema: 'v13',
          index: { prefix: 'index_', period: `${LOKI_INDEX_PERIOD_HOURS}h` },
        },
      ],
    },
    storage_config: {
      tsdb_shipper: {
        active_index_directory: `${dataDir}/tsdb-index`,
        cache_location: `${dataDir}/tsdb-cache`,
      },
    },
    ingester: {
      wal: { dir: `${dataDir}/wal` },
    },
    limits_config: {
      retention_period: retention,
      // Queries never reach past what retention keeps.
      max_query_lookback: retention,
      reject_old_samples: true,
      // A line older than retention would be deleted at the next compaction anyway.
      reject_old_samples_max_age: hours(Math.min(week, retentionMs)),
      ingestion_rate_mb: 8,
      ingestion_burst_size_mb: 16,
      per_stream_rate_limit: '3MB',
      per_stream_rate_limit_burst: '15MB',
      max_global_streams_per_user: 5000,
      max_label_names_per_series: 15,
      max_line_size: '256KB',
      max_entries_limit_per_query: 5000,
      allow_structured_metadata: true,
      volume_enabled: true,
    },
    compactor: {
      working_directory: `${dataDir}/compactor`,
      compaction_interval: '10m',
      retention_enabled: true,
      retention_delete_delay: '2h',
      delete_request_store: 'filesystem',
    },
    ruler: {
      storage: { type: 'local', local: { directory: `${dataDir}/rules` } },
      rule_path: `${dataDir}/rules-temp`,
    },
    analytics: {
      reporting_enabled: false,
    },
  };
}
