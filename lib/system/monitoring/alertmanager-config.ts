/**
 * alertmanager.yml: critical alerts reach Slack and e-mail, warnings reach Slack, the always-firing
 * Watchdog reaches a dead-man's switch, and a critical alert silences the warnings it causes
 * ({@link INHIBITIONS}). Secrets are never written
 * here: the Slack webhook URL and the SMTP password are read from files that a Secret (produced
 * by a SealedSecret or an ExternalSecret) mounts into the pod.
 *
 * Needs Alertmanager 0.25 or newer (e-mail `auth_password_file` appeared in 0.25.0, Slack
 * `api_url_file` in 0.22.0); 0.27.0 and newer also trim a trailing newline from the password file,
 * so a Secret written with `echo` works. Run v0.28.1 or newer.
 */
import { parseDuration } from '../../model/formats';
import { checkCodeOptions } from '../../kit/options';
import { DEAD_MANS_SWITCH_URL_FILE, SLACK_WEBHOOK_URL_FILE, SMTP_PASSWORD_FILE } from '../names';

/** The receiver names the routing tree uses. */
export const RECEIVERS = { slack: 'slack', email: 'email', deadMansSwitch: 'dead-mans-switch' } as const;

/**
 * What a critical alert makes redundant: while the source fires in a namespace, the targets (the
 * warnings it causes) in the same namespace are not sent. Each source is an alert that exists at
 * severity critical, each target one that exists at severity warning, so every rule can fire.
 */
export const INHIBITIONS: readonly {
  readonly source: string;
  readonly targets: readonly string[];
  readonly equal: readonly string[];
  /** Further matchers on the targets. @default none */
  readonly targetMatchers?: readonly string[];
}[] = [
  // A database that is down fails its backups and drills, and slows every request.
  { source: 'PostgresDown', targets: ['PostgresBackupFailed', 'PostgresRestoreDrillFailed', 'PostgresTooManyConnections', 'HighRequestLatency'], equal: ['namespace'] },
  // A backend that is down has no latency to report, and its own scrape targets are down.
  { source: 'BackendDown', targets: ['HighRequestLatency'], equal: ['namespace'] },
  { source: 'BackendDown', targets: ['TargetDown'], equal: ['namespace'], targetMatchers: ['job="backend"'] },
  // Without kube-state-metrics its own target is down: one page, not two.
  { source: 'KubeStateMetricsAbsent', targets: ['TargetDown'], equal: ['job'] },
];

/** The Slack receiver. */
export interface SlackReceiverOptions {
  /** The channel alerts are posted to, e.g. `#gravl-alerts` (or a channel ID). */
  readonly channel: string;
  /**
   * The file holding the incoming-webhook URL (`api_url_file`).
   * @default '/etc/alertmanager/secrets/slack-webhook-url'
   */
  readonly webhookUrlFile?: string;
}

/** The e-mail receiver (SMTP, TLS required). */
export interface EmailReceiverOptions {
  /** Recipient address, or several. */
  readonly to: string | readonly string[];
  /** Sender address. */
  readonly from: string;
  /** SMTP server as `host:port`, e.g. `smtp.example.com:587` (STARTTLS) or `:465` (implicit TLS). */
  readonly smarthost: string;
  /**
   * SMTP user name.
   * @default the `from` address
   */
  readonly username?: string;
  /**
   * The file holding the SMTP password (`auth_password_file`).
   * @default '/etc/alertmanager/secrets/smtp-password'
   */
  readonly passwordFile?: string;
}

/** Options of {@link alertmanagerConfig}. */
export interface AlertmanagerOptions {
  /** The Slack receiver: every alert. */
  readonly slack: SlackReceiverOptions;
  /** The e-mail receiver: critical alerts. */
  readonly email: EmailReceiverOptions;
  /**
   * How long to wait for more alerts of a new group before the first notification.
   * @default '30s'
   */
  readonly groupWait?: string;
  /**
   * How long to wait before notifying about alerts added to a group already notified.
   * @default '5m'
   */
  readonly groupInterval?: string;
  /**
   * How often a still-firing warning is sent again.
   * @default '4h'
   */
  readonly repeatInterval?: string;
  /**
   * How often a still-firing critical alert is sent again.
   * @default '1h'
   */
  readonly criticalRepeatInterval?: string;
  /**
   * The file holding the dead-man's-switch URL: the Watchdog alert is posted there every
   * `deadMansSwitchInterval`, and the service pages when the posts stop.
   * @default '/etc/alertmanager/secrets/dead-mans-switch-url'
   */
  readonly deadMansSwitchUrlFile?: string;
  /**
   * How often the Watchdog is posted to the dead-man's switch.
   * @default '1m'
   */
  readonly deadMansSwitchInterval?: string;
}

const SEVERITY_CRITICAL = 'severity="critical"';
const SEVERITY_WARNING = 'severity="warning"';

/**
 * The options set in code (never from the environment file; the model validates the receivers'
 * channel and addresses, `monitoring.alertmanager`): a wrong one is a programming error.
 */
function checkOptions(options: AlertmanagerOptions): void {
  checkCodeOptions('alertmanagerConfig', (check) => {
    const absolute = (v: unknown) => v === undefined || (typeof v === 'string' && /^\/\S+$/.test(v));
    check('slack.webhookUrlFile', absolute(options.slack.webhookUrlFile), options.slack.webhookUrlFile, 'an absolute file path');
    check('email.passwordFile', absolute(options.email.passwordFile), options.email.passwordFile, 'an absolute file path');
    check('deadMansSwitchUrlFile', absolute(options.deadMansSwitchUrlFile), options.deadMansSwitchUrlFile, 'an absolute file path');
    // Alertmanager's duration syntax (no fractions, largest unit first).
    for (const key of ['groupWait', 'groupInterval', 'repeatInterval', 'criticalRepeatInterval', 'deadMansSwitchInterval'] as const) {
      const value = options[key];
      check(key, value === undefined || (typeof value === 'string' && parseDuration(value) !== undefined), value, 'a duration such as 30s, 5m or 4h');
    }
  });
}

/**
 * alertmanager.yml. Routing: every alert is grouped by alert name and namespace; critical alerts
 * go to the e-mail receiver and (the route continues) to Slack, repeated every
 * `criticalRepeatInterval`; warnings, and anything else, go to Slack. The receivers' channel and
 * addresses are taken as the environment model validated them; a wrong option set in code throws
 * an `Error` naming each.
 */
export function alertmanagerConfig(options: AlertmanagerOptions): Record<string, unknown> {
  checkOptions(options);
  const to = typeof options.email.to === 'string' ? options.email.to : options.email.to.join(', ');
  const criticalRepeat = options.criticalRepeatInterval ?? '1h';
  // `environment` is Prometheus's external label: it tells staging from production in one channel.
  const title = '[{{ .Status | toUpper }}] {{ .CommonLabels.alertname }} ({{ .CommonLabels.severity }}, {{ .CommonLabels.environment }}, {{ .CommonLabels.namespace }})';

  return {
    global: { resolve_timeout: '5m' },
    route: {
      // Alerts without a known severity still reach someone.
      receiver: RECEIVERS.slack,
      group_by: ['alertname', 'namespace'],
      group_wait: options.groupWait ?? '30s',
      group_interval: options.groupInterval ?? '5m',
      repeat_interval: options.repeatInterval ?? '4h',
      routes: [
        // First, and final: the Watchdog reaches the dead-man's switch only, as often as it expects.
        {
          receiver: RECEIVERS.deadMansSwitch,
          matchers: ['alertname="Watchdog"'],
          group_wait: '0s',
          group_interval: options.deadMansSwitchInterval ?? '1m',
          repeat_interval: options.deadMansSwitchInterval ?? '1m',
        },
        // A route that matches stops the search unless it continues: the e-mail route continues
        // so that the next one also posts critical alerts to Slack.
        { receiver: RECEIVERS.email, matchers: [SEVERITY_CRITICAL], continue: true, repeat_interval: criticalRepeat },
        { receiver: RECEIVERS.slack, matchers: [SEVERITY_CRITICAL], repeat_interval: criticalRepeat },
        { receiver: RECEIVERS.slack, matchers: [SEVERITY_WARNING] },
      ],
    },
    inhibit_rules: INHIBITIONS.map((i) => ({
      source_matchers: [`alertname="${i.source}"`, SEVERITY_CRITICAL],
      target_matchers: [`alertname=~"${i.targets.join('|')}"`, SEVERITY_WARNING, ...(i.targetMatchers ?? [])],
      equal: [...i.equal],
    })),
    receivers: [
      {
        name: RECEIVERS.deadMansSwitch,
        // Webhook url_file is newer than Alertmanager 0.25 (which rejects it); the pinned v0.28.1 reads it.
        webhook_configs: [{ url_file: options.deadMansSwitchUrlFile ?? DEAD_MANS_SWITCH_URL_FILE, send_resolved: false }],
      },
      {
        name: RECEIVERS.slack,
        slack_configs: [
          {
            api_url_file: options.slack.webhookUrlFile ?? SLACK_WEBHOOK_URL_FILE,
            channel: options.slack.channel,
            send_resolved: true,
            title,
            text: '{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\nRunbook: {{ .Annotations.runbook }}\n{{ end }}',
          },
        ],
      },
      {
        name: RECEIVERS.email,
        email_configs: [
          {
            to,
            from: options.email.from,
            smarthost: options.email.smarthost,
            auth_username: options.email.username ?? options.email.from,
            auth_password_file: options.email.passwordFile ?? SMTP_PASSWORD_FILE,
            require_tls: true,
            send_resolved: true,
            headers: { Subject: title },
          },
        ],
      },
    ],
  };
}
