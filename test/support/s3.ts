/**
 * A throwaway S3-compatible server for a test file: s3rver (the maintained @20minutes fork, an
 * npm dev dependency) listening on a free port of 127.0.0.1, its objects in a fresh temporary
 * folder. It checks request signatures (SigV4) against its one key pair, so wrong credentials are
 * refused as AWS refuses them (InvalidAccessKeyId, SignatureDoesNotMatch). Clients are the real
 * AWS CLI (`aws`, Debian's awscli): start one per test file (beforeAll), stop it in afterAll.
 * Calls to the CLI must be asynchronous (spawn, not spawnSync): the server runs in this process.
 * Nothing here imports vitest: test/support/rto.ts uses it outside the test runner.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCommand } from './round-trip';

/** The key pair s3rver accepts. */
const ACCESS_KEY_ID = 'S3RVER';
const SECRET_ACCESS_KEY = 'S3RVER';

interface StoredObject {
  readonly key: string;
}
interface S3rverInstance {
  run(): Promise<{ address: string; port: number }>;
  close(): Promise<void>;
  readonly store: {
    listObjects(bucket: string, options: { prefix: string }): Promise<{ objects: StoredObject[] }>;
    putObject(object: unknown): Promise<unknown>;
  };
}
type S3ObjectClass = new (bucket: string, key: string, content: Buffer, metadata: Record<string, string>) => unknown;
type S3rverClass = new (options: Record<string, unknown>) => S3rverInstance;

export interface S3Server {
  /** http://127.0.0.1:<port> */
  readonly endpoint: string;
  /**
   * The environment of an AWS CLI client of this server: the credentials s3rver accepts, a region,
   * and no profile, config or instance metadata of the machine.
   */
  env(overrides?: Record<string, string>): NodeJS.ProcessEnv;
  /**
   * The keys under `prefix`, read from the server's own store: for setting up and inspecting a
   * test (one AWS CLI start costs half a second); the scripts under test always use the CLI.
   */
  keys(bucket: string, prefix: string): Promise<string[]>;
  /** Puts an object straight into the server's store (see `keys`). */
  put(bucket: string, key: string, content: Buffer | string): Promise<void>;
  /** Runs `aws --endpoint-url <endpoint> ...args` asynchronously. */
  aws(args: readonly string[], env?: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

/** Fails, naming the package to install, when the AWS CLI is not on PATH. */
export function requireAwsCli(): void {
  const found = spawnSync('sh', ['-c', 'command -v aws'], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error('the AWS CLI (aws) is not on PATH: install it (Debian: apt-get install awscli; .ci/run installs it)');
}

/** Starts s3rver with `buckets` created; the caller must call `stop()`. */
export async function startS3(buckets: readonly string[]): Promise<S3Server> {
  requireAwsCli();
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3rver = require('@20minutes/s3rver') as S3rverClass;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const S3Object = require('@20minutes/s3rver/lib/models/object') as S3ObjectClass;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'gravl-s3-'));
  const home = path.join(root, 'home');
  fs.mkdirSync(home);
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    silent: true,
    directory: path.join(root, 'objects'),
    configureBuckets: buckets.map((name) => ({ name })),
    // Path-style requests only: the CLI addresses http://127.0.0.1:<port>/<bucket>/<key>.
    vhostBuckets: false,
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
  const env = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...base,
    HOME: home,
    AWS_ACCESS_KEY_ID: ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: SECRET_ACCESS_KEY,
    AWS_DEFAULT_REGION: 'eu-central-1',
    AWS_CONFIG_FILE: path.join(home, 'no-config'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'no-credentials'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_PAGER: '',
    ...overrides,
  });
  return {
    endpoint,
    env,
    keys: async (bucket, prefix) => (await server.store.listObjects(bucket, { prefix })).objects.map((o) => o.key).sort(),
    put: async (bucket, key, content) => {
      const body = Buffer.from(content);
      await server.store.putObject(new S3Object(bucket, key, body, { 'content-length': String(body.length) }));
    },
    aws: (args, overrides) => runCommand('aws', ['--endpoint-url', endpoint, ...args], env(overrides)),
    stop: async () => {
      try {
        await server.close();
      } finally {
        fs.rmSync(root, { recursive: true, force: true });
      }
    },
  };
}
