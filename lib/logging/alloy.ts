/**
 * Grafana Alloy, the log collector (Promtail reached end of life in March 2026): a DaemonSet in the
 * node-agents namespace that tails every pod's log files on its node and ships them to Loki's
 * Service. It reads /var/log/pods from the host, read-only, which is why it runs in the namespace
 * that allows host paths; the files belong to root, so it runs as root, with every capability
 * dropped and a read-only root filesystem. It discovers the pods of its node through the API
 * (a ClusterRole that reads pods and nothing else).
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../config/schema';
import { ALLOY } from '../monitoring/names';
import type { NetworkPolicies } from '../network/network-policies';
import type { ClusterAddresses } from '../network/peers';
import { httpServerProbes, resourceRequirements } from '../pod';
import { PodWorkload } from '../pod-workload';
import { alloyConfig } from './alloy-config';

export interface AlloyProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
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
    const pushUrl = `http://${props.loki.host}:${props.loki.port('http')}/loki/api/v1/push`;
    const configText = alloyConfig({ environment: props.environment, lokiPushUrl: pushUrl, nodeNameEnv: 'NODE_NAME' });
    const port = { name: ALLOY.port.name, containerPort: ALLOY.port.port };
    super(scope, id, {
      kind: 'DaemonSet',
      namespace: props.namespace,
      name: ALLOY.service,
      component: 'log-collector',
      network: props.network,
      user: 0,
      nodeAgent: true,
      servicePorts: [port],
      callsApi: true,
      configs: [configText],
      containers: [
        {
          name: 'alloy',
          image: props.image,
          args: ['run', '/etc/alloy/config.alloy', `--server.http.listen-addr=0.0.0.0:${port.containerPort}`, '--storage.path=/var/lib/alloy/data', '--disable-reporting'],
          env: [{ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }],
          ports: [{ name: port.name, containerPort: port.containerPort, protocol: 'TCP' }],
          resources: resourceRequirements(props.resources),
          // Root only to read the root-owned log files; no capability, no escalation.
          securityContext: { runAsUser: 0, runAsGroup: 0, runAsNonRoot: false },
          ...httpServerProbes('/-/ready', port.name, { startupSeconds: 120, livenessPath: '/-/healthy', livenessFailures: 6 }),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/alloy', readOnly: true },
            { name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true },
            { name: 'data', mountPath: '/var/lib/alloy/data' },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'alloy-config' } },
        { name: 'pod-logs', hostPath: { path: '/var/log/pods', type: 'Directory' } },
        // Read positions survive a restart of the pod, so logs are not shipped twice.
        { name: 'data', hostPath: { path: '/var/lib/gravl-alloy', type: 'DirectoryOrCreate' } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
      ],
      podSpec: { tolerations: [{ operator: 'Exists' }], terminationGracePeriodSeconds: 30 },
    });
    const labels = { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/part-of': 'gravl' };
    new k8s.KubeConfigMap(this, 'config', { metadata: { name: 'alloy-config', namespace: props.namespace, labels }, data: { 'config.alloy': configText } });
    const role = new k8s.KubeClusterRole(this, 'cluster-role', {
      metadata: { name: 'gravl-alloy', labels },
      rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }],
    });
    new k8s.KubeClusterRoleBinding(this, 'cluster-role-binding', {
      metadata: { name: 'gravl-alloy', labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: props.namespace }],
    });
    this.allowTo(props.loki, 'http');
    this.allowToApiServer(props.cluster);
  }
}
