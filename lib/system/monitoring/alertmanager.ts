/**
 * Alertmanager: StatefulSet `alertmanager` routing Prometheus's alerts by severity to Slack and
 * e-mail, and the always-firing Watchdog to a dead-man's switch. The Slack webhook URL, the
 * dead-man's-switch URL and the SMTP password are files mounted from a sealed Secret, never
 * written in the config. It may reach Slack over HTTPS and the mail server on its port, nothing else.
 */
import type { Construct } from 'constructs';
import { yamlText } from '../../kit/yaml';
import type { Resources } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { internet } from '../../kit/network/peers';
import { claimSpec, httpServerProbes, resourceRequirements } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import type { Secrets } from '../../kit/secrets';
import { alertmanagerConfig } from './alertmanager-config';
import { ALERTMANAGER, ALERTMANAGER_SECRETS_DIR, SCRAPE_JOBS } from '../names';
import { provided } from '../../model/credentials';
import type { ScrapeTargets } from '../../kit/scrape';

export interface AlertmanagerProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly secrets: Secrets;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly image: string;
  readonly resources: Resources;
  readonly slack: { readonly channel: string };
  readonly email: { readonly to: string; readonly from: string; readonly smarthost: string; readonly username?: string };
  /** The claim that keeps silences and the notification log across restarts. */
  readonly storage: { readonly storageClassName: string; readonly size: string };
}

/** Secret holding the receivers' credentials, as files. */
export const ALERTMANAGER_SECRET = 'alertmanager-receivers';
const USER = 65534;

export class Alertmanager extends PodWorkload {
  constructor(scope: Construct, id: string, props: AlertmanagerProps) {
    const configText = yamlText(alertmanagerConfig({ slack: props.slack, email: props.email }));
    const secret = props.secrets.require({
      namespace: props.namespace,
      name: ALERTMANAGER_SECRET,
      keys: {
        'slack-webhook-url': provided('slack-webhook-url'),
        'smtp-password': provided('password'),
        // The dead-man's-switch service's ping URL: its owner creates the check and seals the URL.
        'dead-mans-switch-url': provided('webhook-url'),
      },
      consumer: 'StatefulSet alertmanager',
    });
    const port = { name: ALERTMANAGER.port.name, containerPort: ALERTMANAGER.port.port };
    super(scope, id, {
      kind: 'StatefulSet',
      disruptionDecision: 'One replica: a PodDisruptionBudget would make its node undrainable; a drain delays notifications for the restart (Prometheus resends firing alerts, silences stay on the volume), and the dead-man\'s switch pages if it does not return.',
      namespace: props.namespace,
      name: ALERTMANAGER.service,
      component: 'alerting',
      network: props.network,
      user: USER,
      fsGroup: USER,
      servicePorts: [port],
      configMaps: [{ volume: 'config', name: 'alertmanager-config', data: { 'alertmanager.yml': configText } }],
      containers: [
        {
          name: 'alertmanager',
          image: props.image,
          args: [
            '--config.file=/etc/alertmanager/alertmanager.yml',
            '--storage.path=/alertmanager',
            `--web.listen-address=:${port.containerPort}`,
            // One replica: no gossip with peers.
            '--cluster.listen-address=',
          ],
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/-/ready', port.name, { startupSeconds: 60, livenessPath: '/-/healthy' }),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/alertmanager/alertmanager.yml', subPath: 'alertmanager.yml', readOnly: true },
            { name: 'receivers', mountPath: ALERTMANAGER_SECRETS_DIR, readOnly: true },
            { name: 'data', mountPath: '/alertmanager' },
          ],
        },
      ],
      volumes: [
        { name: 'receivers', secret: { secretName: secret, defaultMode: 0o440 } },
      ],
      // Silences and the notification log survive a restart: no silenced alert pages again, no
      // notification is sent twice.
      volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: claimSpec(props.storage) }],
    });
    props.metrics.scrape({ job: SCRAPE_JOBS.alertmanager, workload: this, port: ALERTMANAGER.port.name });
    this.allowTo(internet('Slack and the dead-man\'s switch over HTTPS'), 443);
    this.allowTo(internet('the mail server'), Number(props.email.smarthost.split(':')[1]));
  }
}
