/**
 * Grafana Alloy, the log collector (Promtail reached end of life in March 2026): a DaemonSet in the
 * node-agents namespace that tails every pod's log files on its node and ships them to Loki's
 * Service. It reads /var/log/pods from the host, read-only, which is why it runs in the namespace
 * that allows host paths; the files belong to root, so it runs as root, with every capability
 * dropped and a read-only root filesystem. It discovers the pods of its node through the API
 * (a ClusterRole that reads pods and nothing else).
 */
import type { Construct } from 'constructs';
import type { Resources } from '../../model/schema';
import { ALLOY, SCRAPE_JOBS } from '../names';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import { httpServerProbes, resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import { alloyArgs, alloyConfig, DEFAULT_NODE_NAME_ENV, DEFAULT_POD_LOGS_PATH, LOKI_PUSH_PATH } from './alloy-config';
import type { ScrapeTargets } from '../../kit/scrape';

const CONFIG_DIR = '/etc/alloy';
const CONFIG_FILE = 'config.alloy';
const DATA_DIR = '/var/lib/alloy/data';
const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

export interface AlloyProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly cluster: ClusterAddresses;
  readonly image: string;
  readonly resources: Resources;
  /** The environment's name, a label on every log line. */
  readonly environment: string;
  /** Where logs go. */
  readonly loki: PodWorkload;
}

export class Alloy extends PodWorkload {
  constructor(scope: Construct, id: string, props: AlloyProps) {
    const pushUrl = props.loki.url('http', LOKI_PUSH_PATH);
    const configText = alloyConfig({ environment: props.environment, lokiPushUrl: pushUrl, nodeNameEnv: DEFAULT_NODE_NAME_ENV });
    const port = { name: ALLOY.port.name, containerPort: ALLOY.port.port };
    super(scope, id, {
      kind: 'DaemonSet',
      disruptionDecision: 'A DaemonSet: a drain leaves its pod on the node (kubectl drain --ignore-daemonsets) and it goes with the node; a PodDisruptionBudget has nothing to protect.',
      namespace: props.namespace,
      name: ALLOY.service,
      component: 'log-collector',
      network: props.network,
      user: 0,
      nodeAgent: true,
      hostAccess: {
        kinds: ['host-path', 'root'],
        reason: "Alloy ships every pod's logs: it reads the node's /var/log/pods (files only root may read) and keeps its read positions in a host folder so that a restart neither loses nor repeats logs.",
      },
      servicePorts: [port],
      callsApi: true,
      configMaps: [{ volume: 'config', name: 'alloy-config', data: { [CONFIG_FILE]: configText } }],
      containers: [
        {
          name: 'alloy',
          image: props.image,
          args: alloyArgs({ configFile: `${CONFIG_DIR}/${CONFIG_FILE}`, storagePath: DATA_DIR }),
          env: [{ name: DEFAULT_NODE_NAME_ENV, valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/-/ready', port.name, { startupSeconds: 120, livenessPath: '/-/healthy', livenessFailures: 6 }),
          volumeMounts: [
            { name: 'config', mountPath: CONFIG_DIR, readOnly: true },
            { name: 'pod-logs', mountPath: DEFAULT_POD_LOGS_PATH, readOnly: true },
            { name: 'data', mountPath: DATA_DIR },
            ...scratchMounts(SCRATCH),
          ],
        },
      ],
      volumes: [
        { name: 'pod-logs', hostPath: { path: DEFAULT_POD_LOGS_PATH, type: 'Directory' } },
        // Read positions survive a restart of the pod, so logs are not shipped twice.
        { name: 'data', hostPath: { path: '/var/lib/gravl-alloy', type: 'DirectoryOrCreate' } },
        ...scratchVolumes(SCRATCH),
      ],
      podSpec: { tolerations: [{ operator: 'Exists' }], terminationGracePeriodSeconds: 30 },
    });
    this.grantClusterRole('gravl-alloy', [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    props.metrics.scrape({ job: SCRAPE_JOBS.alloy, workload: this, port: ALLOY.port.name });
    this.allowTo(props.loki, 'http');
    this.allowToApiServer(props.cluster);
  }
}
