/**
 * upload.sh against a stand-in `aws` command: no object store can run here, so a small script on
 * PATH records the calls and copies the files into a local folder, as `aws s3 cp` would.
 */
import { spawnSync } from 'node:child_process';
import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { POSTGRES_SCRIPTS } from '../../lib/postgres/scripts';
import { tempDir } from '../support/cli';

const temps: string[] = [];
afterAll(() => temps.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

function setup(dumps: string[]) {
  const root = tempDir('upload');
  temps.push(root);
  const backups = path.join(root, 'backups');
  const bucket = path.join(root, 'bucket');
  const bin = path.join(root, 'bin');
  for (const dir of [backups, bucket, bin]) fs.mkdirSync(dir);
  for (const name of dumps) {
    const content = `dump ${name}`;
    fs.writeFileSync(path.join(backups, name), content);
    fs.writeFileSync(path.join(backups, `${name}.sha256`), `${crypto.createHash('sha256').update(content).digest('hex')}  ${name}\n`);
  }
  // The stand-in: logs its arguments, and copies `s3 cp SRC s3://bucket/KEY` to bucket/KEY.
  fs.writeFileSync(
    path.join(bin, 'aws'),
    `#!/bin/sh\necho "$*" >> "${root}/calls.log"\nwhile [ "$1" != "cp" ]; do shift; done\nshift\nwhile [ "\${1#--}" != "$1" ]; do shift; done\nsrc=$1; dst=\${2#s3://}\nmkdir -p "${bucket}/$(dirname "$dst")"\ncp "$src" "${bucket}/$dst"\n`,
    { mode: 0o755 },
  );
  // As the ConfigMap mounts them: upload.sh beside the common.sh it sources.
  for (const [name, text] of Object.entries(POSTGRES_SCRIPTS)) fs.writeFileSync(path.join(root, name), text);
  const script = path.join(root, 'upload.sh');
  const run = (env: Record<string, string>) =>
    spawnSync('sh', [script], { encoding: 'utf8', env: { PATH: `${bin}:${process.env.PATH}`, PGDATABASE: 'gravl', BACKUP_DIR: backups, ...env } });
  return { root, backups, bucket, run, calls: () => fs.readFileSync(path.join(root, 'calls.log'), 'utf8') };
}

describe('upload.sh', () => {
  it('copies the newest dump and its checksum under the prefix', () => {
    const { bucket, run, calls } = setup(['gravl-20261120T020000Z.dump', 'gravl-20261121T020000Z.dump']);
    const result = run({ BACKUP_S3_URI: 's3://gravl-backups/postgres/' });
    expect(result.status, result.stderr).toBe(0);
    expect(fs.readdirSync(path.join(bucket, 'gravl-backups', 'postgres')).sort()).toEqual(['gravl-20261121T020000Z.dump', 'gravl-20261121T020000Z.dump.sha256']);
    expect(calls()).not.toContain('--endpoint-url');
  });

  it('passes the endpoint of an S3-compatible store', () => {
    const { run, calls } = setup(['gravl-20261121T020000Z.dump']);
    expect(run({ BACKUP_S3_URI: 's3://b/p', BACKUP_S3_ENDPOINT: 'https://s3.example.net' }).status).toBe(0);
    expect(calls()).toContain('--endpoint-url https://s3.example.net s3 cp');
  });

  it('refuses to upload a dump whose checksum does not match', () => {
    const { backups, bucket, run } = setup(['gravl-20261121T020000Z.dump']);
    fs.appendFileSync(path.join(backups, 'gravl-20261121T020000Z.dump'), 'tampered');
    const result = run({ BACKUP_S3_URI: 's3://b/p' });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toContain(`checksum mismatch for ${path.join(backups, 'gravl-20261121T020000Z.dump')}`);
    expect(result.stderr).toContain('not uploading it');
    expect(fs.readdirSync(bucket)).toEqual([]);
  });

  it('fails without a dump or without a destination', () => {
    const noDump = setup([]).run({ BACKUP_S3_URI: 's3://b/p' });
    expect(noDump.stderr).toContain('no dump of gravl');
    expect(noDump.status).toBe(1);
    const noDestination = setup(['gravl-20261121T020000Z.dump']).run({ BACKUP_S3_URI: 'bucket/p' });
    expect(noDestination.stderr).toContain('must look like s3://bucket/prefix');
    expect(noDestination.status).toBe(1);
  });
});
