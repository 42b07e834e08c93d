/**
 * node-exporter: a DaemonSet in the node-agents namespace (the only one that allows host access)
 * reporting each node's CPU, memory, disks and network. It reads the host's /proc, /sys and root
 * filesystem read-only and listens on the node's own address (host network), as a non-root user
 * with every capability dropped. NetworkPolicies cannot select host-network pods: Prometheus's
 * egress to the nodes' port is what this construct opens.
 */
import type { Construct } from 'constructs';
import type { Resources } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import { httpServerProbes, resourceRequirements } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import { NODE_EXPORTER, SCRAPE_JOBS } from '../names';
import type { ScrapeTargets } from '../../kit/scrape';

export interface NodeExporterProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly cluster: ClusterAddresses;
  readonly image: string;
  readonly resources: Resources;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
}

export class NodeExporter extends PodWorkload {
  constructor(scope: Construct, id: string, props: NodeExporterProps) {
    const port = { name: NODE_EXPORTER.port.name, containerPort: NODE_EXPORTER.port.port };
    const host = (name: string, path: string) => ({ name, hostPath: { path, type: 'Directory' } });
    super(scope, id, {
      kind: 'DaemonSet',
      disruptionDecision: 'A DaemonSet: a drain leaves its pod on the node (kubectl drain --ignore-daemonsets) and it goes with the node; a PodDisruptionBudget has nothing to protect.',
      namespace: props.namespace,
      name: NODE_EXPORTER.service,
      component: 'node-metrics',
      network: props.network,
      user: 65534,
      nodeAgent: true,
      hostAccess: {
        kinds: ['host-network', 'host-pid', 'host-path'],
        reason: "node-exporter reports the node's own CPU, memory, disks and network: it reads the host's /proc, /sys and root filesystem read-only, and listens on the node's network so that each node is scraped at its own address.",
      },
      servicePorts: [port],
      headless: true,
      containers: [
        {
          name: 'node-exporter',
          image: props.image,
          args: [
            `--web.listen-address=:${port.containerPort}`,
            '--path.procfs=/host/proc',
            '--path.sysfs=/host/sys',
            '--path.rootfs=/host/root',
            '--collector.filesystem.mount-points-exclude=^/(dev|proc|sys|run|var/lib/kubelet/.+|var/lib/containerd/.+)($|/)',
          ],
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/', port.name, { startupSeconds: 60 }),
          volumeMounts: [
            { name: 'proc', mountPath: '/host/proc', readOnly: true },
            { name: 'sys', mountPath: '/host/sys', readOnly: true },
            { name: 'root', mountPath: '/host/root', readOnly: true, mountPropagation: 'HostToContainer' },
          ],
        },
      ],
      volumes: [host('proc', '/proc'), host('sys', '/sys'), host('root', '/')],
      podSpec: {
        hostNetwork: true,
        hostPid: true,
        dnsPolicy: 'ClusterFirstWithHostNet',
        // Every node, including tainted ones (control plane, dedicated pools).
        tolerations: [{ operator: 'Exists' }],
      },
    });
    // Host network: Prometheus reaches it at the nodes' addresses.
    props.metrics.scrape({ job: SCRAPE_JOBS.nodeExporter, workload: this, port: port.name, at: props.cluster.nodes });
  }
}
