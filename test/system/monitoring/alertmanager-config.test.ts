import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertmanagerConfig, INHIBITIONS, type AlertmanagerOptions } from '../../../lib/system/monitoring/alertmanager-config';
import { alertRules } from '../../../lib/system/monitoring/alert-rules';
import { DEAD_MANS_SWITCH_URL_FILE, SLACK_WEBHOOK_URL_FILE, SMTP_PASSWORD_FILE } from '../../../lib/system/names';
import { ProblemsError } from '../../../lib/model/problems';
import { thrownBy } from '../../support/thrown';
import { amtoolRoutes, removeDir, runTool, scratchDir, withWebhookUrlStandIn, writeYaml, type ToolRun } from '../../support/prom-tools';

const OPTIONS: AlertmanagerOptions = {
  slack: { channel: '#gravl-alerts' },
  email: { to: ['oncall@gravl.app', 'cto@gravl.app'], from: 'alertmanager@gravl.app', smarthost: 'smtp.gravl.app:587' },
};

type Receiver = Record<string, any>;

describe('alertmanager.yml', () => {
  const config = alertmanagerConfig(OPTIONS) as Record<string, any>;
  let dir: string;
  let configFile: string;
  let checked: Promise<ToolRun>;

  /** The rendered config with its secret files pointed at stand-ins in the temp folder. */
  function withSecretStandIns(rendered: Record<string, any>, sub: string): Record<string, any> {
    const copy = withWebhookUrlStandIn(rendered) as Record<string, any>;
    fs.mkdirSync(sub, { recursive: true });
    const slack = path.join(sub, 'slack-webhook-url');
    const password = path.join(sub, 'smtp-password');
    fs.writeFileSync(slack, 'https://hooks.slack.invalid/services/T000/B000/stand-in\n');
    fs.writeFileSync(password, 'stand-in\n');
    for (const receiver of copy.receivers as Receiver[]) {
      for (const s of receiver.slack_configs ?? []) s.api_url_file = slack;
      for (const e of receiver.email_configs ?? []) e.auth_password_file = password;
    }
    return copy;
  }

  beforeAll(() => {
    dir = scratchDir('alertmanager');
    configFile = writeYaml(dir, 'alertmanager.yml', withSecretStandIns(config, path.join(dir, 'secrets')));
    checked = runTool('amtool', ['check-config', configFile], dir);
  });
  afterAll(() => removeDir(dir));

  it('passes amtool check-config, file-based secret fields included', async () => {
    const run = await checked;
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain('SUCCESS');
    expect(run.output).toMatch(/3 receivers/);
    expect(run.output).toMatch(/4 inhibit rules/);
  });

  it('rejects (amtool) an unknown field beside the secret files, so accepting api_url_file and auth_password_file is a real check', async () => {
    const sub = path.join(dir, 'misspelt');
    const broken = withSecretStandIns(config, sub);
    const email = (broken.receivers as Receiver[]).find((r) => r.email_configs)!.email_configs[0];
    email.auth_password_fil = email.auth_password_file;
    delete email.auth_password_file;
    const run = await runTool('amtool', ['check-config', writeYaml(sub, 'alertmanager.yml', broken)], sub);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/field auth_password_fil not found/);
  });

  it('routes a critical alert to both e-mail and Slack', async () => {
    const { receivers, run } = await amtoolRoutes(configFile, { alertname: 'HighErrorRate', severity: 'critical', namespace: 'gravl-prod' });
    expect(receivers, run.output).toEqual(['email', 'slack']);
  });

  it('routes a warning to Slack only', async () => {
    const { receivers, run } = await amtoolRoutes(configFile, { alertname: 'HighRequestLatency', severity: 'warning', namespace: 'gravl-prod' });
    expect(receivers, run.output).toEqual(['slack']);
  });

  it('routes an alert without a known severity to Slack rather than dropping it', async () => {
    const { receivers, run } = await amtoolRoutes(configFile, { alertname: 'SomethingNew' });
    expect(receivers, run.output).toEqual(['slack']);
  });

  it('routes the Watchdog to the dead-man\'s switch alone, every minute', async () => {
    const { receivers, run } = await amtoolRoutes(configFile, { alertname: 'Watchdog', severity: 'none' });
    expect(receivers, run.output).toEqual(['dead-mans-switch']);
    expect(config.route.routes[0]).toMatchObject({ receiver: 'dead-mans-switch', matchers: ['alertname="Watchdog"'], group_interval: '1m', repeat_interval: '1m' });
    expect(config.route.routes[0].continue).toBeUndefined();
  });

  it('reads the dead-man\'s-switch URL from a file (a provided credential), never inline', () => {
    const hooks = (config.receivers as Receiver[]).find((r) => r.name === 'dead-mans-switch')!.webhook_configs;
    expect(hooks).toEqual([{ url_file: DEAD_MANS_SWITCH_URL_FILE, send_resolved: false }]);
  });

  it('groups by alert name and namespace, and repeats critical alerts more often than warnings', () => {
    expect(config.route).toMatchObject({ receiver: 'slack', group_by: ['alertname', 'namespace'], group_wait: '30s', group_interval: '5m', repeat_interval: '4h' });
    const critical = (config.route.routes as Receiver[]).filter((r) => r.matchers.includes('severity="critical"'));
    expect(critical.map((r) => r.repeat_interval)).toEqual(['1h', '1h']);
  });

  it('lets a critical alert inhibit the warnings it causes, each source critical and each target a warning in the rules', () => {
    const rules = alertRules({ namespace: 'gravl-prod' }).groups.flatMap((g) => g.rules);
    const severity = (alert: string) => rules.find((r) => r.alert === alert)?.labels.severity;
    expect(config.inhibit_rules).toHaveLength(INHIBITIONS.length);
    expect(config.inhibit_rules[0]).toEqual({
      source_matchers: ['alertname="PostgresDown"', 'severity="critical"'],
      target_matchers: ['alertname=~"PostgresBackupFailed|PostgresRestoreDrillFailed|PostgresTooManyConnections|HighRequestLatency"', 'severity="warning"'],
      equal: ['namespace'],
    });
    for (const inhibition of INHIBITIONS) {
      expect(severity(inhibition.source), inhibition.source).toBe('critical');
      for (const target of inhibition.targets) expect(severity(target), target).toBe('warning');
    }
  });

  it('reads the Slack webhook URL from a file and posts to the channel of the options', () => {
    const slack = (config.receivers as Receiver[]).find((r) => r.name === 'slack')!.slack_configs;
    expect(slack).toHaveLength(1);
    expect(slack[0]).toMatchObject({ api_url_file: SLACK_WEBHOOK_URL_FILE, channel: '#gravl-alerts', send_resolved: true });
    expect(slack[0].text).toContain('{{ .Annotations.runbook }}');
  });

  it('sends e-mail through the smarthost with TLS required and the SMTP password read from a file', () => {
    const email = (config.receivers as Receiver[]).find((r) => r.name === 'email')!.email_configs;
    expect(email).toHaveLength(1);
    expect(email[0]).toMatchObject({
      to: 'oncall@gravl.app, cto@gravl.app',
      from: 'alertmanager@gravl.app',
      smarthost: 'smtp.gravl.app:587',
      auth_username: 'alertmanager@gravl.app',
      auth_password_file: SMTP_PASSWORD_FILE,
      require_tls: true,
    });
  });

  it('never holds an inline secret', () => {
    const text = JSON.stringify(config);
    expect(text).not.toMatch(/"(api_url|auth_password|auth_secret|smtp_auth_password)":/);
    expect(text).not.toMatch(/hooks\.slack\.com/);
    expect(config.global).toEqual({ resolve_timeout: '5m' });
  });

  it('takes secret file paths and intervals from the options', () => {
    const custom = alertmanagerConfig({
      slack: { channel: '#ops', webhookUrlFile: '/run/secrets/slack' },
      email: { to: 'ops@gravl.app', from: 'am@gravl.app', smarthost: 'smtp.gravl.app:465', username: 'am', passwordFile: '/run/secrets/smtp' },
      repeatInterval: '12h',
      criticalRepeatInterval: '30m',
    }) as Record<string, any>;
    const receivers = custom.receivers as Receiver[];
    expect(receivers.find((r) => r.name === 'slack')!.slack_configs[0].api_url_file).toBe('/run/secrets/slack');
    expect(receivers.find((r) => r.name === 'email')!.email_configs[0]).toMatchObject({ to: 'ops@gravl.app', auth_username: 'am', auth_password_file: '/run/secrets/smtp' });
    expect(custom.route.repeat_interval).toBe('12h');
    expect(custom.route.routes[1].repeat_interval).toBe('30m');
  });

  // The channel and the addresses come from the environment file, which the model validates
  // (test/model/load.test.ts); the secret files and intervals are set in code.
  it('rejects wrong options set in code, naming every one, as a programming error', () => {
    const error = thrownBy(() => alertmanagerConfig({
      slack: { channel: '#ops', webhookUrlFile: 'relative/path' },
      email: { to: 'ops@gravl.app', from: 'am@gravl.app', smarthost: 'smtp.gravl.app:587', passwordFile: 'smtp' },
      deadMansSwitchUrlFile: '',
      groupWait: 'soon',
    }));
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ProblemsError);
    const message = (error as Error).message;
    for (const field of ['slack.webhookUrlFile', 'email.passwordFile', 'deadMansSwitchUrlFile', 'groupWait']) {
      expect(message).toContain(`alertmanagerConfig: ${field}: found`);
    }
  });
});
