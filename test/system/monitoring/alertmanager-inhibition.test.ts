/**
 * The inhibit rules, proven on a real Alertmanager (the Debian binary, started on loopback with the
 * rendered alertmanager.yml): alerts are posted to its API, and its own answer says which are
 * inhibited and by what. Its webhook `url_file` becomes a stand-in `url` (that Alertmanager is
 * older than the pinned one), and the receivers' secret files are stand-ins: nothing is delivered.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerConfig } from '../../../lib/system/monitoring/alertmanager-config';
import { removeDir, scratchDir, withWebhookUrlStandIn, writeYaml } from '../../support/prom-tools';

const BINARY = 'prometheus-alertmanager';

interface PostedAlert {
  readonly labels: Record<string, string>;
}

interface AlertStatus {
  readonly labels: Record<string, string>;
  readonly status: { readonly state: string; readonly inhibitedBy: string[] };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const NS = 'gravl-prod';
const ALERTS: readonly PostedAlert[] = [
  { labels: { alertname: 'PostgresDown', severity: 'critical', namespace: NS, job: 'postgres-exporter' } },
  { labels: { alertname: 'PostgresBackupFailed', severity: 'warning', namespace: NS, cronjob: 'postgres-backup' } },
  { labels: { alertname: 'PostgresTooManyConnections', severity: 'warning', namespace: NS, pod: 'postgres-0' } },
  { labels: { alertname: 'HighRequestLatency', severity: 'warning', namespace: NS } },
  // The same warning in another namespace: not caused by this database.
  { labels: { alertname: 'PostgresBackupFailed', severity: 'warning', namespace: 'gravl-staging', cronjob: 'postgres-backup' } },
  // A warning the database does not cause.
  { labels: { alertname: 'ContainerCpuThrottled', severity: 'warning', namespace: NS, pod: 'frontend-a', container: 'frontend' } },
  { labels: { alertname: 'KubeStateMetricsAbsent', severity: 'critical', job: 'kube-state-metrics' } },
  { labels: { alertname: 'TargetDown', severity: 'warning', job: 'kube-state-metrics', instance: '10.0.1.14:8080' } },
  { labels: { alertname: 'TargetDown', severity: 'warning', job: 'loki', instance: '10.0.1.19:3100' } },
  // The backend down in staging: its own targets' TargetDown is redundant, the exporter's is not.
  { labels: { alertname: 'BackendDown', severity: 'critical', namespace: 'gravl-staging', job: 'backend' } },
  { labels: { alertname: 'TargetDown', severity: 'warning', namespace: 'gravl-staging', job: 'backend', instance: '10.0.2.1:3001' } },
  { labels: { alertname: 'TargetDown', severity: 'warning', namespace: 'gravl-staging', job: 'postgres-exporter', instance: '10.0.2.9:9187' } },
];

describe('inhibit rules, on a running Alertmanager', () => {
  let dir: string;
  let child: ChildProcess | undefined;
  let base = '';
  let statuses: Promise<AlertStatus[]>;

  async function start(): Promise<AlertStatus[]> {
    const secrets = path.join(dir, 'secrets');
    fs.mkdirSync(secrets);
    fs.writeFileSync(path.join(secrets, 'slack'), 'http://127.0.0.1:9/stand-in\n');
    fs.writeFileSync(path.join(secrets, 'smtp'), 'stand-in\n');
    const config = withWebhookUrlStandIn(
      alertmanagerConfig({
        slack: { channel: '#gravl-alerts', webhookUrlFile: path.join(secrets, 'slack') },
        email: { to: 'oncall@gravl.app', from: 'alertmanager@gravl.app', smarthost: '127.0.0.1:9', passwordFile: path.join(secrets, 'smtp') },
      }),
      'http://127.0.0.1:9/stand-in',
    );
    const file = writeYaml(dir, 'alertmanager.yml', config);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(BINARY, [`--config.file=${file}`, `--storage.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    child.stderr!.on('data', (d) => (log += String(d)));
    const spawned = new Promise<void>((_, reject) => child!.once('error', (e) => reject(new Error(`${BINARY} could not start (install the Debian package prometheus-alertmanager): ${e.message}`))));
    const ready = (async () => {
      for (let i = 0; i < 100; i++) {
        try {
          if ((await fetch(`${base}/-/ready`)).ok) return;
        } catch {
          // not listening yet
        }
        await sleep(100);
      }
      throw new Error(`${BINARY} did not become ready:\n${log}`);
    })();
    await Promise.race([ready, spawned]);
    const posted = await fetch(`${base}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(ALERTS) });
    if (!posted.ok) throw new Error(`posting alerts: ${posted.status} ${await posted.text()}`);
    // The inhibitor follows the alerts it receives: wait until every alert has been processed.
    for (let i = 0; i < 50; i++) {
      const list = (await (await fetch(`${base}/api/v2/alerts`)).json()) as AlertStatus[];
      if (list.length === ALERTS.length && list.every((a) => a.status.state !== 'unprocessed')) return list;
      await sleep(100);
    }
    throw new Error(`Alertmanager did not process the alerts:\n${log}`);
  }

  beforeAll(() => {
    dir = scratchDir('alertmanager-run');
    statuses = start();
    statuses.catch(() => undefined);
  });
  afterAll(async () => {
    // Alertmanager writes its silences and notification log into the data folder as it stops:
    // wait for it to exit (killing it after 5 s) before removing the folder under it.
    const running = child;
    if (running && running.exitCode === null && running.signalCode === null) {
      const exited = new Promise<void>((resolve) => running.once('exit', () => resolve()));
      running.kill('SIGTERM');
      const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    removeDir(dir);
  });

  const find = async (labels: Record<string, string>) => {
    const list = await statuses;
    const hit = list.find((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));
    if (!hit) throw new Error(`no alert ${JSON.stringify(labels)}`);
    return hit;
  };

  it('silences the warnings a critical PostgresDown causes in its namespace', async () => {
    for (const alertname of ['PostgresBackupFailed', 'PostgresTooManyConnections', 'HighRequestLatency']) {
      const alert = await find({ alertname, namespace: NS });
      expect(alert.status.state, alertname).toBe('suppressed');
      expect(alert.status.inhibitedBy, alertname).toHaveLength(1);
    }
  });

  it('keeps the same warning in another namespace, and a warning the database does not cause', async () => {
    expect((await find({ alertname: 'PostgresBackupFailed', namespace: 'gravl-staging' })).status.state).toBe('active');
    expect((await find({ alertname: 'ContainerCpuThrottled' })).status.state).toBe('active');
  });

  it("silences kube-state-metrics' own TargetDown while KubeStateMetricsAbsent fires, and no other job's", async () => {
    expect((await find({ alertname: 'TargetDown', job: 'kube-state-metrics' })).status.state).toBe('suppressed');
    expect((await find({ alertname: 'TargetDown', job: 'loki' })).status.state).toBe('active');
  });

  it("silences the backend's own TargetDown while BackendDown fires, not another job's in its namespace", async () => {
    expect((await find({ alertname: 'TargetDown', job: 'backend' })).status.state).toBe('suppressed');
    expect((await find({ alertname: 'TargetDown', job: 'postgres-exporter' })).status.state).toBe('active');
  });

  it('never silences the critical sources themselves', async () => {
    expect((await find({ alertname: 'PostgresDown' })).status.state).toBe('active');
    expect((await find({ alertname: 'KubeStateMetricsAbsent' })).status.state).toBe('active');
  });
});
