// Structural tests of loki.yaml. The real check would be `loki -verify-config`, but no `loki`
// binary can be installed here (it is not packaged in Debian), so the configuration is written
// with the yaml package, read back, and its structure asserted: the schema, the storage, the
// retention, the ports, and that every path Loki writes lies under the one data directory.
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { ProblemsError } from '../../../lib/model/problems';
import { DEFAULT_LOKI_DATA_DIR, LOKI_GRPC_PORT, lokiConfig, type LokiConfigOptions } from '../../../lib/system/logging/loki-config';
import { LOKI } from '../../../lib/system/names';
import { thrownBy } from '../../support/thrown';

const OPTIONS: LokiConfigOptions = { retentionPeriod: '168h' };

type Tree = Record<string, any>;

/** The configuration as Loki reads it: written as YAML text and parsed back. */
function rendered(options: LokiConfigOptions): Tree {
  return parse(stringify(lokiConfig(options))) as Tree;
}

/** Every `[path, value]` of a tree's leaves, with dotted paths. */
function leaves(tree: unknown, prefix = ''): [string, unknown][] {
  if (Array.isArray(tree)) return tree.flatMap((item, i) => leaves(item, `${prefix}[${i}]`));
  if (tree !== null && typeof tree === 'object') {
    return Object.entries(tree).flatMap(([key, value]) => leaves(value, prefix ? `${prefix}.${key}` : key));
  }
  return [[prefix, tree]];
}

/** Every key anywhere in a tree. */
function keys(tree: unknown): string[] {
  if (Array.isArray(tree)) return tree.flatMap(keys);
  if (tree !== null && typeof tree === 'object') return Object.entries(tree).flatMap(([key, value]) => [key, ...keys(value)]);
  return [];
}

describe('loki.yaml', () => {
  const config = rendered(OPTIONS);

  it('reads back from YAML exactly as it was produced', () => {
    expect(config).toEqual(lokiConfig(OPTIONS));
    expect(stringify(lokiConfig(OPTIONS))).toBe(stringify(lokiConfig(OPTIONS)));
  });

  it('serves HTTP on 3100 and gRPC on 9095, without multi-tenancy', () => {
    expect(config.auth_enabled).toBe(false);
    expect(config.server.http_listen_port).toBe(3100);
    expect(config.server.http_listen_port).toBe(LOKI.port.port);
    expect(config.server.grpc_listen_port).toBe(9095);
    expect(LOKI_GRPC_PORT).toBe(9095);
  });

  it('runs as one replica with an in-memory ring on the loopback address', () => {
    expect(config.common.replication_factor).toBe(1);
    expect(config.common.ring).toEqual({ kvstore: { store: 'inmemory' } });
    expect(config.common.instance_addr).toBe('127.0.0.1');
    expect(config.common.path_prefix).toBe('/loki');
  });

  it('indexes with TSDB and schema v13 on the filesystem, in daily periods from a fixed past day', () => {
    expect(config.schema_config.configs).toEqual([
      { from: '2024-01-01', store: 'tsdb', object_store: 'filesystem', schema: 'v13', index: { prefix: 'index_', period: '24h' } },
    ]);
    expect(rendered({ ...OPTIONS, schemaFrom: '2025-06-30' }).schema_config.configs[0].from).toBe('2025-06-30');
    expect(Object.keys(config.storage_config)).toEqual(['tsdb_shipper']);
    expect(config.common.storage).toEqual({ filesystem: { chunks_directory: '/loki/chunks', rules_directory: '/loki/rules' } });
  });

  it('configures no object store other than the filesystem (no S3, GCS, Azure or Swift block)', () => {
    const stores = ['s3', 'aws', 'gcs', 'azure', 'swift', 'bos', 'cos', 'alibabacloud', 'boltdb_shipper', 'shared_store'];
    expect(keys(config).filter((key) => stores.includes(key))).toEqual([]);
    const objectStores = leaves(config).filter(([path]) => /(^|\.)(object_store|delete_request_store|type)$/.test(path));
    expect(objectStores.length).toBeGreaterThanOrEqual(3);
    for (const [path, value] of objectStores) expect(['filesystem', 'local'], path).toContain(value);
  });

  it('deletes logs older than the retention period through the compactor', () => {
    expect(config.compactor.retention_enabled).toBe(true);
    expect(config.compactor.delete_request_store).toBe('filesystem');
    expect(config.compactor.compaction_interval).toBe('10m');
    expect(config.compactor.working_directory).toBe('/loki/compactor');
    expect(config.limits_config.retention_period).toBe('168h');
    expect(config.limits_config.max_query_lookback).toBe('168h');
    const month = rendered({ retentionPeriod: '30d' });
    expect(month.limits_config.retention_period).toBe('30d');
    expect(month.limits_config.reject_old_samples_max_age).toBe('168h');
  });

  it('rejects samples older than a week, or than retention when that is shorter', () => {
    expect(config.limits_config.reject_old_samples).toBe(true);
    expect(config.limits_config.reject_old_samples_max_age).toBe('168h');
    expect(rendered({ retentionPeriod: '2d' }).limits_config.reject_old_samples_max_age).toBe('48h');
  });

  it('limits ingestion, and keeps structured metadata and the volume API on', () => {
    const limits = config.limits_config;
    expect(limits.allow_structured_metadata).toBe(true);
    expect(limits.volume_enabled).toBe(true);
    expect(limits.ingestion_rate_mb).toBeGreaterThan(0);
    expect(limits.ingestion_burst_size_mb).toBeGreaterThanOrEqual(limits.ingestion_rate_mb);
    expect(limits.max_global_streams_per_user).toBeGreaterThan(0);
    expect(limits.per_stream_rate_limit).toMatch(/^\d+(KB|MB)$/);
    expect(limits.max_line_size).toMatch(/^\d+(KB|MB)$/);
  });

  it('keeps the ruler on local storage and sends no usage reports', () => {
    expect(config.ruler.storage).toEqual({ type: 'local', local: { directory: '/loki/rules' } });
    expect(config.analytics).toEqual({ reporting_enabled: false });
  });

  it('writes every path under the data directory, so one volume holds everything', () => {
    for (const dataDir of [DEFAULT_LOKI_DATA_DIR, '/var/lib/loki']) {
      const paths = leaves(rendered({ ...OPTIONS, dataDir })).filter(([, value]) => typeof value === 'string' && value.startsWith('/'));
      expect(paths.map(([path]) => path).sort()).toEqual([
        'common.path_prefix',
        'common.storage.filesystem.chunks_directory',
        'common.storage.filesystem.rules_directory',
        'compactor.working_directory',
        'ingester.wal.dir',
        'ruler.rule_path',
        'ruler.storage.local.directory',
        'storage_config.tsdb_shipper.active_index_directory',
        'storage_config.tsdb_shipper.cache_location',
      ]);
      for (const [path, value] of paths) {
        expect(value === dataDir || (value as string).startsWith(`${dataDir}/`), `${path}: ${value}`).toBe(true);
      }
      // Each directory is Loki's own: two modules sharing one would trip over each other's files.
      const dirs = paths.filter(([path]) => path !== 'common.path_prefix' && path !== 'ruler.storage.local.directory').map(([, value]) => value);
      expect(new Set(dirs).size).toBe(dirs.length);
    }
  });

  it('accepts retention of whole days in any unit', () => {
    for (const retention of ['24h', '168h', '30d', '2w', '1y', '1w3d', '720h']) {
      expect(rendered({ retentionPeriod: retention }).limits_config.retention_period).toBe(retention);
    }
  });

  // The retention comes from the environment file, which the model validates (test/model/rules.test.ts).
  it('rejects every wrong option set in code at once, naming each, as a programming error', () => {
    const wrong = () => lokiConfig({ retentionPeriod: '168h', dataDir: 'loki/', schemaFrom: '2024-02-30' });
    expect(wrong).toThrowError(new RegExp([
      '^lokiConfig: dataDir: found "loki/", expected an absolute path',
      'lokiConfig: schemaFrom: found "2024-02-30", expected a calendar day as YYYY-MM-DD',
    ].join('[^\\n]*\\n')));
    expect(thrownBy(wrong)).not.toBeInstanceOf(ProblemsError);
    for (const dataDir of ['/', '/loki/', '/lo ki', '/loki/../etc', '/loki/*']) {
      expect(() => lokiConfig({ ...OPTIONS, dataDir }), dataDir).toThrowError(/dataDir: found/);
    }
    for (const schemaFrom of ['2024-1-1', '01-01-2024', '2024-01-01T00:00:00Z']) {
      expect(() => lokiConfig({ ...OPTIONS, schemaFrom }), schemaFrom).toThrowError(/schemaFrom: found/);
    }
  });
});
