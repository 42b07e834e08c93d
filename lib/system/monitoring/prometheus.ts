/**
 * Prometheus: StatefulSet `prometheus` with its configuration and alert rules in ConfigMaps, data
 * on a claim of the environment's class, retention from the environment. It finds its targets
 * through Kubernetes discovery, so its ServiceAccount may read exactly what discovery reads
 * (Services, Endpoints and Pods in the namespaces it scrapes; nodes) and the kubelets' metrics
 * (`nodes/metrics`), nothing else. Each scrape target opens its metrics port to it.
 */
import { Lazy } from 'cdk8s';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { selectorLabels } from '../../kit/labels';
import { yamlText } from '../../kit/yaml';
import type { Resources } from '../../model/schema';
import { bindClusterRole, claimSpec, httpServerProbes, resourceRequirements } from '../../kit/pod';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import type { ScrapeTargets } from '../../kit/scrape';
import { PodWorkload } from '../../kit/pod-workload';
import { alertRules } from './alert-rules';
import { KUBELET_PORT, PROMETHEUS, PROMETHEUS_RULES_DIR, PROMETHEUS_RULES_FILE, SCRAPE_JOBS } from '../names';
import { prometheusConfig } from './prometheus-config';
import type { EdgeScrapeKind } from '../../contract';
import { parseQuantity } from '../../model/formats';

export interface PrometheusProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  /** What it scrapes: every target declared there, before or after, is opened to it and listed in its configuration. */
  readonly targets: ScrapeTargets;
  readonly cluster: ClusterAddresses;
  /** The app namespace (backend, postgres). */
  readonly appNamespace: string;
  /** The environment's name, as the `environment` label of every series and alert. */
  readonly environment: string;
  readonly image: string;
  readonly resources: Resources;
  /** How long samples are kept, e.g. 15d. */
  readonly retention: string;
  readonly storage: { readonly storageClassName: string; readonly size: string };
  /** Which backup copy the restore drill proves, for its alerts. @default the volume copy */
  readonly restoreDrillCopy?: string;
  /** The public host, whose 5xx answered at the edge an alert watches. */
  readonly host: string;
  /** What serves the host (the edge declares its own scrape): an alert watches each one's 5xx share. @default none */
  readonly edges?: readonly EdgeScrapeKind[];
}

/**
 * The share of the volume the TSDB may fill before Prometheus drops the oldest blocks: the rest
 * is headroom for the WAL, compaction and the head, which the size limit does not count.
 */
export const RETENTION_SIZE_SHARE = 0.8;

/**
 * `--storage.tsdb.retention.size` for a volume of this size: {@link RETENTION_SIZE_SHARE} of it,
 * in whole MiB (Prometheus reads MB as 2^20 bytes).
 */
export function retentionSize(volumeSize: string): string {
  const bytes = parseQuantity(volumeSize);
  if (bytes === undefined || bytes <= 0) throw new Error(`Prometheus volume size: found ${JSON.stringify(volumeSize)}, expected a storage quantity such as 50Gi`);
  return `${Math.floor((bytes * RETENTION_SIZE_SHARE) / 2 ** 20)}MB`;
}

/** The folder the configuration ConfigMap is mounted on (whole, so that updates reach it). */
export const PROMETHEUS_CONFIG_DIR = '/etc/prometheus/config';

/** How often Prometheus checks its mounted configuration and rules for a change, and reloads them. */
export const CONFIG_RELOAD_INTERVAL = '30s';

/** The `nobody` user of the Prometheus images. */
const USER = 65534;

export class Prometheus extends PodWorkload {
  private readonly targets: ScrapeTargets;
  private readonly discovery: DiscoveryAccess;

  constructor(scope: Construct, id: string, props: PrometheusProps) {
    const edges = props.edges ?? [];
    // Rendered last: components built after Prometheus still declare their targets. Prometheus
    // reloads its configuration in place, so no hash of it is needed at construction.
    const configText = Lazy.any({
      produce: () =>
        yamlText(
          prometheusConfig({
            namespace: props.appNamespace,
            environment: props.environment,
            services: props.targets.targets.map((t) => ({ job: t.job, namespace: t.workload.namespace, service: t.workload.serviceName, port: t.port, targetLabels: t.targetLabels ?? true })),
            pods: props.targets.podTargets.map((t) => ({ job: t.job, namespace: t.pods.namespace, podLabels: t.pods.podLabels, port: t.port, find: t.find, ...(t.path ? { path: t.path } : {}) })),
          }),
        ),
    }) as unknown as string;
    const rulesText = yamlText(alertRules({ namespace: props.appNamespace, restoreDrillCopy: props.restoreDrillCopy, host: props.host, edges }));
    const port = { name: PROMETHEUS.port.name, containerPort: PROMETHEUS.port.port };
    super(scope, id, {
      kind: 'StatefulSet',
      disruptionDecision: 'One replica: a PodDisruptionBudget would make its node undrainable; a drain pauses scraping and alerting for the restart (the TSDB stays on its volume), and the dead-man\'s switch pages if it does not return.',
      namespace: props.namespace,
      name: PROMETHEUS.service,
      component: 'metrics',
      network: props.network,
      user: USER,
      fsGroup: USER,
      servicePorts: [port],
      callsApi: true,
      configMaps: [
        { volume: 'config', name: 'prometheus-config', data: { 'prometheus.yml': configText } },
        { volume: 'rules', name: 'prometheus-rules', data: { [PROMETHEUS_RULES_FILE]: rulesText } },
      ],
      containers: [
        {
          name: 'prometheus',
          image: props.image,
          args: [
            `--config.file=${PROMETHEUS_CONFIG_DIR}/prometheus.yml`,
            '--storage.tsdb.path=/prometheus',
            `--storage.tsdb.retention.time=${props.retention}`,
            // Bounded by size too: a volume that fills stops ingestion, whatever the time limit.
            `--storage.tsdb.retention.size=${retentionSize(props.storage.size)}`,
            // Changed configuration or rules are reloaded in place (the kubelet refreshes the
            // mounted ConfigMaps), keeping the TSDB head: no restart, no WAL replay, no gap.
            '--enable-feature=auto-reload-config',
            `--config.auto-reload-interval=${CONFIG_RELOAD_INTERVAL}`,
            `--web.listen-address=:${port.containerPort}`,
          ],
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          resources: resourceRequirements(props.resources),
          // Replaying the write-ahead log after a restart can take minutes on a full volume.
          ...httpServerProbes('/-/ready', port.name, { startupSeconds: 600, livenessPath: '/-/healthy', livenessFailures: 6 }),
          volumeMounts: [
            // The folder, not a subPath: a subPath mount never sees a ConfigMap update.
            { name: 'config', mountPath: PROMETHEUS_CONFIG_DIR, readOnly: true },
            { name: 'rules', mountPath: PROMETHEUS_RULES_DIR, readOnly: true },
            { name: 'data', mountPath: '/prometheus' },
          ],
        },
      ],
      volumeClaimTemplates: [
        {
          metadata: { name: 'data' },
          spec: claimSpec(props.storage),
        },
      ],
      podSpec: { terminationGracePeriodSeconds: 120 },
      // Config changes reload in place; a hash in the pod template would restart the pod instead.
      reloadsConfig: true,
    });
    this.targets = props.targets;
    this.discovery = new DiscoveryAccess(this, 'rbac', { serviceAccount: this.serviceAccount });

    // Discovery, the kubelets (and cAdvisor) on every node, and what the components declared.
    this.allowToApiServer(props.cluster);
    for (const node of props.cluster.nodes) this.allowTo(node, KUBELET_PORT);
    props.targets.scrapedBy(this);
    props.targets.scrape({ job: SCRAPE_JOBS.prometheus, workload: this, port: port.name });
  }

  /**
   * Grants discovery in the namespace of every declared target (a Role in each). Call once, after
   * the last component has declared its targets; declaring one later fails.
   */
  discoverTargets(): void {
    this.discovery.grant(this.targets.discoveryNamespaces());
  }
}

interface DiscoveryAccessProps {
  readonly serviceAccount: k8s.KubeServiceAccount;
}

/**
 * What Prometheus's discovery reads: Services, Endpoints and Pods in each namespace it scrapes
 * (a Role there, not a cluster-wide grant), nodes, and the kubelets' `/metrics` (`nodes/metrics`,
 * never the far stronger `nodes/proxy`).
 */
class DiscoveryAccess extends Construct {
  private readonly account: k8s.KubeServiceAccount;
  private granted = false;

  constructor(scope: Construct, id: string, props: DiscoveryAccessProps) {
    super(scope, id);
    this.account = props.serviceAccount;
    bindClusterRole(this, NAME, selectorLabels(PROMETHEUS.service), [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
    ], this.account);
    this.node.addValidation({ validate: () => (this.granted ? [] : ['Prometheus.discoverTargets() was never called: Prometheus may discover no target']) });
  }

  /** A Role (and its binding) in each namespace, to discover the targets there. */
  grant(namespaces: readonly string[]): void {
    if (this.granted) throw new Error('Prometheus discovery is granted already');
    this.granted = true;
    const subject = { kind: 'ServiceAccount', name: this.account.name, namespace: this.account.metadata.namespace! };
    const labels = selectorLabels(PROMETHEUS.service);
    for (const namespace of namespaces) {
      const role = new k8s.KubeRole(this, `discovery-${namespace}`, {
        metadata: { name: NAME, namespace, labels },
        rules: [{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }],
      });
      new k8s.KubeRoleBinding(this, `discovery-${namespace}-binding`, {
        metadata: { name: NAME, namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
        subjects: [subject],
      });
    }
  }
}

/** The name of Prometheus's ClusterRole, Roles and their bindings. */
const NAME = 'gravl-prometheus';
