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
import { prometheusConfig, prometheusDiscoveryNamespaces, type EdgeTarget } from './prometheus-config';
import { parseQuantity } from '../../model/formats';

export interface PrometheusProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  /** What it scrapes: every target declared there, before or after, is opened to it and listed in its configuration. */
  readonly targets: ScrapeTargets;
  readonly cluster: ClusterAddresses;
  /** The app namespace (backend, postgres). */
  readonly appNamespace: string;
  /** The namespace cert-manager's controller runs in: Prometheus scrapes it there. */
  readonly certManagerNamespace: string;
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
  /** What serves the host: Prometheus scrapes each on its stock metrics port. @default none */
  readonly edges?: readonly EdgeTarget[];
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
            certManagerNamespace: props.certManagerNamespace,
            edges,
            services: props.targets.targets.map((t) => ({ job: t.job, namespace: t.workload.namespace, service: t.workload.serviceName, port: t.port, targetLabels: t.targetLabels ?? true })),
            pods: props.targets.podTargets.map((t) => ({ job: t.job, namespace: t.pods.namespace, podLabels: t.pods.podLabels, port: t.port, find: t.find, ...(t.path ? { path: t.path } : {}) })),
          }),
        ),
    }) as unknown as string;
    const rulesText = yamlText(alertRules({ namespace: props.appNamespace, restoreDrillCopy: props.restoreDrillCopy, host: props.host, edges: edges.map((e) => e.kind) }));
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
    const discovered = prometheusDiscoveryNamespaces({ namespace: props.appNamespace, certManagerNamespace: props.certManagerNamespace, edges });
    new DiscoveryAccess(this, 'rbac', { serviceAccount: this.serviceAccount, namespaces: discovered });
    // Every target, declared before or after, must be where discovery may look.
    this.node.addValidation({
      validate: () =>
        [...props.targets.targets.map((t) => ({ job: t.job, namespace: t.workload.namespace })), ...props.targets.podTargets.map((t) => ({ job: t.job, namespace: t.pods.namespace }))]
          .filter((t) => !discovered.includes(t.namespace))
          .map((t) => `scrape job ${t.job} is in namespace ${t.namespace}, where Prometheus may not discover (${discovered.join(', ')})`),
    });

    // Discovery, the kubelets (and cAdvisor) on every node, and what the components declared.
    this.allowToApiServer(props.cluster);
    for (const node of props.cluster.nodes) this.allowTo(node, KUBELET_PORT);
    props.targets.scrapedBy(this);
    props.targets.scrape({ job: SCRAPE_JOBS.prometheus, workload: this, port: port.name });
  }
}

interface DiscoveryAccessProps {
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly namespaces: readonly string[];
}

/**
 * What Prometheus's discovery reads: Services, Endpoints and Pods in each namespace it scrapes
 * (a Role there, not a cluster-wide grant), nodes, and the kubelets' `/metrics` (`nodes/metrics`,
 * never the far stronger `nodes/proxy`).
 */
class DiscoveryAccess extends Construct {
  constructor(scope: Construct, id: string, props: DiscoveryAccessProps) {
    super(scope, id);
    const account = props.serviceAccount;
    const subject = { kind: 'ServiceAccount', name: account.name, namespace: account.metadata.namespace! };
    const name = 'gravl-prometheus';
    const labels = selectorLabels(PROMETHEUS.service);
    bindClusterRole(this, name, labels, [
      { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
      { apiGroups: [''], resources: ['nodes/metrics'], verbs: ['get'] },
    ], account);
    for (const namespace of props.namespaces) {
      const role = new k8s.KubeRole(this, `discovery-${namespace}`, {
        metadata: { name, namespace, labels },
        rules: [{ apiGroups: [''], resources: ['services', 'endpoints', 'pods'], verbs: ['get', 'list', 'watch'] }],
      });
      new k8s.KubeRoleBinding(this, `discovery-${namespace}-binding`, {
        metadata: { name, namespace, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: role.name },
        subjects: [subject],
      });
    }
  }
}
