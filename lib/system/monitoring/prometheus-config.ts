/**
 * prometheus.yml: what Prometheus scrapes, where it sends alerts and which rule files it loads.
 * Every target is found through Kubernetes service discovery, restricted to the namespace it lives
 * in, and kept by Service name and port name (the names in `./names`), so a new Service or port
 * elsewhere in the cluster is never scraped by accident.
 */
import { ALERTMANAGER, MONITORING_NAMESPACE, PROMETHEUS_RULES_DIR, SCRAPE_JOBS, SERVICE_ACCOUNT_CA_FILE, SERVICE_ACCOUNT_TOKEN_FILE } from '../names';
import { EDGE_SCRAPE } from '../../contract';

/** The scrape and rule evaluation interval signed off for production ("8 targets every 30s"). */
export const SCRAPE_INTERVAL = '30s';

/** Options of {@link prometheusConfig}. */
export interface PrometheusConfigOptions {
  /** The app namespace (backend, postgres), e.g. `gravl-staging` or `gravl-prod`. */
  readonly namespace: string;
  /**
   * The value of the `environment` external label, which every alert and remote query carries
   * (e.g. `staging`, `production`).
   */
  readonly environment: string;
  /**
   * Verify the kubelets' serving certificates against the cluster CA
   * (`/var/run/secrets/kubernetes.io/serviceaccount/ca.crt`). Turn on only where the kubelets
   * serve certificates signed by that CA (kubelet `serverTLSBootstrap: true` with approved
   * CSRs). Off, Prometheus skips verification because kubelets otherwise serve a self-signed
   * certificate that no CA can verify: the connection is still encrypted, but a host posing as a
   * node could read the token, which is why Prometheus's ServiceAccount must grant no more than
   * discovery reads and `nodes/metrics` get.
   * @default false
   */
  readonly verifyKubeletCertificates?: boolean;
  /**
   * The Services Prometheus scrapes, as the workloads serving them declared them
   * (`ScrapeTargets`). prometheus.yml lists them, with the kubelet jobs and the pods below, in the
   * order of {@link SCRAPE_JOBS}, the edge's jobs last.
   */
  readonly services: readonly ServiceTarget[];
  /** The pods outside the system Prometheus scrapes (cert-manager's controller, the edge's data plane), as declared. */
  readonly pods: readonly PodTarget[];
}

/** Pods outside the system, as their scrape was declared (`ScrapeTargets.scrapePods`). */
export interface PodTarget {
  readonly job: string;
  readonly namespace: string;
  readonly podLabels: Readonly<Record<string, string>>;
  readonly port: number;
  /** @default /metrics */
  readonly path?: string;
  readonly find: 'declared' | 'address';
}

interface RelabelConfig {
  readonly source_labels?: readonly string[];
  readonly regex?: string;
  readonly action?: 'keep';
  readonly target_label?: string;
  readonly replacement?: string;
}

/** A scrape job of a Service, by namespace, Service and port name. */
export interface ServiceTarget {
  readonly job: string;
  readonly namespace: string;
  readonly service: string;
  readonly port: string;
  /**
   * Attach the target's namespace, pod, node and service as labels. Off for exporters that report
   * on other objects (kube-state-metrics): their series carry the namespace, pod, node and service
   * of the object they describe, which target labels of the same name would rename to `exported_*`.
   */
  readonly targetLabels: boolean;
}

/** Regex metacharacters escaped, for names matched inside an (anchored) relabel regex. */
function literal(value: string): string {
  return value.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function keepServicePort(service: string, port: string): RelabelConfig {
  return {
    source_labels: ['__meta_kubernetes_service_name', '__meta_kubernetes_endpoint_port_name'],
    regex: `${literal(service)};${literal(port)}`,
    action: 'keep',
  };
}

function serviceJob(job: ServiceTarget): Record<string, unknown> {
  const relabel: RelabelConfig[] = [keepServicePort(job.service, job.port)];
  if (job.targetLabels) {
    relabel.push(
      { source_labels: ['__meta_kubernetes_namespace'], target_label: 'namespace' },
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_endpoint_node_name'], target_label: 'node' },
      { source_labels: ['__meta_kubernetes_service_name'], target_label: 'service' },
    );
  }
  return {
    job_name: job.job,
    kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [job.namespace] } }],
    relabel_configs: relabel,
  };
}

/** A job scraping every node's kubelet directly (never through the API server's nodes/proxy). */
function kubeletJob(job: string, metricsPath: string, verify: boolean): Record<string, unknown> {
  return {
    job_name: job,
    scheme: 'https',
    metrics_path: metricsPath,
    authorization: { type: 'Bearer', credentials_file: SERVICE_ACCOUNT_TOKEN_FILE },
    tls_config: verify ? { ca_file: SERVICE_ACCOUNT_CA_FILE } : { insecure_skip_verify: true },
    // Role node targets the address each node advertises for its kubelet (InternalIP, port 10250).
    kubernetes_sd_configs: [{ role: 'node' }],
    relabel_configs: [{ source_labels: ['__meta_kubernetes_node_name'], target_label: 'node' }],
  };
}

/** Kubernetes label names as discovery's meta labels spell them. */
function podLabelMeta(name: string): string {
  return `__meta_kubernetes_pod_label_${name.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

/**
 * Pods outside the system, kept by every label they are declared with, in their namespace. With
 * `declared`, one target per pod declaring the container port; with `address`, the pod's address
 * on the port whatever it declares (discovery's one target per declared port end identical, and
 * Prometheus scrapes them once). No namespace target label: their series carry the namespace of
 * what they describe (a Certificate, an Ingress).
 */
function podJob(target: PodTarget): Record<string, unknown> {
  const labels = Object.keys(target.podLabels).sort();
  const keep: RelabelConfig[] =
    target.find === 'declared'
      ? [{ source_labels: [...labels.map(podLabelMeta), '__meta_kubernetes_pod_container_port_number'], regex: [...labels.map((l) => literal(target.podLabels[l]!)), String(target.port)].join(';'), action: 'keep' }]
      : [
          ...labels.map((name) => ({ source_labels: [podLabelMeta(name)], regex: literal(target.podLabels[name]!), action: 'keep' as const })),
          { source_labels: ['__meta_kubernetes_pod_ip'], regex: '(.+)', target_label: '__address__', replacement: `$1:${target.port}` },
        ];
  return {
    job_name: target.job,
    ...(target.path ? { metrics_path: target.path } : {}),
    kubernetes_sd_configs: [{ role: 'pod', namespaces: { names: [target.namespace] } }],
    relabel_configs: [
      ...keep,
      { source_labels: ['__meta_kubernetes_pod_name'], target_label: 'pod' },
      { source_labels: ['__meta_kubernetes_pod_node_name'], target_label: 'node' },
    ],
  };
}

/**
 * Jobs in the order of {@link SCRAPE_JOBS}, then the edge's (`EDGE_SCRAPE`) as declared: the names
 * alerts and dashboards select on. A job of another name would be scraped but watched by no alert,
 * so it is refused.
 */
function inJobOrder(jobs: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  const order: readonly string[] = Object.values(SCRAPE_JOBS);
  const edge: readonly string[] = Object.values(EDGE_SCRAPE).map((e) => e.job);
  for (const j of jobs) {
    if (!order.includes(j.job_name as string) && !edge.includes(j.job_name as string)) {
      throw new Error(`scrape job ${String(j.job_name)} is not one of SCRAPE_JOBS (${order.join(', ')}) or the edge's: alerts and dashboards select jobs by those names`);
    }
  }
  const rank = (j: Record<string, unknown>) => (order.includes(j.job_name as string) ? order.indexOf(j.job_name as string) : order.length);
  return [...jobs].sort((a, b) => rank(a) - rank(b));
}

/**
 * prometheus.yml for one cluster: global 30 s scrape and evaluation interval, the `environment`
 * external label, the rule files under `/etc/prometheus/rules/`, alerts to the `alertmanager`
 * Service, and twelve scrape jobs (see {@link SCRAPE_JOBS}) plus one per edge implementation
 * (`EDGE_SCRAPE`). Retention is a command-line flag of the Prometheus container, not part of this file. The
 * namespaces and the environment's name are taken as the environment model validated them.
 */
export function prometheusConfig(options: PrometheusConfigOptions): Record<string, unknown> {
  const verifyKubelet = options.verifyKubeletCertificates ?? false;

  return {
    global: {
      scrape_interval: SCRAPE_INTERVAL,
      evaluation_interval: SCRAPE_INTERVAL,
      external_labels: { environment: options.environment },
    },
    rule_files: [`${PROMETHEUS_RULES_DIR}/*.yaml`],
    alerting: {
      alertmanagers: [
        {
          api_version: 'v2',
          kubernetes_sd_configs: [{ role: 'endpoints', namespaces: { names: [MONITORING_NAMESPACE] } }],
          relabel_configs: [keepServicePort(ALERTMANAGER.service, ALERTMANAGER.port.name)],
        },
      ],
    },
    scrape_configs: [
      ...inJobOrder([
        ...options.services.map((target) => serviceJob(target)),
        kubeletJob(SCRAPE_JOBS.kubelet, '/metrics', verifyKubelet),
        kubeletJob(SCRAPE_JOBS.cadvisor, '/metrics/cadvisor', verifyKubelet),
        ...options.pods.map(podJob),
      ]),
    ],
  };
}
