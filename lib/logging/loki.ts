/**
 * Loki: StatefulSet `loki`, single binary, with a current 3.x configuration (tsdb, schema v13,
 * filesystem storage, retention). Its data lives on an emptyDir or on a claim of a StorageClass the
 * environment declares: the seeds' Loki crash-looped on a PVC that asked for a class the cluster
 * did not have, which the environment file's validation now refuses.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { yamlText } from '../yaml';
import type { Resources } from '../config/schema';
import { LOKI } from '../monitoring/names';
import type { NetworkPolicies } from '../network/network-policies';
import { httpServerProbes, resourceRequirements } from '../pod';
import { PodWorkload } from '../pod-workload';
import { lokiConfig } from './loki-config';

/** emptyDir (logs lost when the pod goes) or a claim on a declared StorageClass. */
export type LokiStorage =
  | { readonly type: 'emptyDir'; readonly sizeLimit?: string }
  | { readonly type: 'persistentVolumeClaim'; readonly storageClassName: string; readonly size: string };

export interface LokiProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly image: string;
  readonly resources: Resources;
  /** How long logs are kept, a multiple of 24h such as 168h. */
  readonly retention: string;
  readonly storage: LokiStorage;
}

/** The `loki` user of the Loki images. */
const USER = 10001;
const DATA_DIR = '/loki';

export class Loki extends PodWorkload {
  readonly config: k8s.KubeConfigMap;

  constructor(scope: Construct, id: string, props: LokiProps) {
    const configText = yamlText(lokiConfig({ retentionPeriod: props.retention, dataDir: DATA_DIR }));
    const http = { name: LOKI.port.name, containerPort: LOKI.port.port };
    const grpc = { name: 'grpc', containerPort: 9095 };
    const storage = props.storage;
    super(scope, id, {
      kind: 'StatefulSet',
      namespace: props.namespace,
      name: LOKI.service,
      component: 'logs',
      network: props.network,
      user: USER,
      fsGroup: USER,
      servicePorts: [http],
      ports: [http, grpc],
      configs: [configText],
      containers: [
        {
          name: 'loki',
          image: props.image,
          args: ['-config.file=/etc/loki/loki.yaml', '-target=all'],
          ports: [
            { name: http.name, containerPort: http.containerPort, protocol: 'TCP' },
            { name: grpc.name, containerPort: grpc.containerPort, protocol: 'TCP' },
          ],
          resources: resourceRequirements(props.resources),
          ...httpServerProbes('/ready', http.name, { startupSeconds: 300, livenessFailures: 6 }),
          volumeMounts: [
            { name: 'config', mountPath: '/etc/loki', readOnly: true },
            { name: 'data', mountPath: DATA_DIR },
            { name: 'tmp', mountPath: '/tmp' },
          ],
        },
      ],
      volumes: [
        { name: 'config', configMap: { name: 'loki-config' } },
        { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } },
        ...(storage.type === 'emptyDir' ? [{ name: 'data', emptyDir: storage.sizeLimit ? { sizeLimit: k8s.Quantity.fromString(storage.sizeLimit) } : {} }] : []),
      ],
      ...(storage.type === 'persistentVolumeClaim'
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: {
                  accessModes: ['ReadWriteOnce'],
                  storageClassName: storage.storageClassName,
                  resources: { requests: { storage: k8s.Quantity.fromString(storage.size) } },
                },
              },
            ],
          }
        : {}),
    });
    this.config = new k8s.KubeConfigMap(this, 'config', {
      metadata: { name: 'loki-config', namespace: props.namespace, labels: { 'app.kubernetes.io/name': this.name, 'app.kubernetes.io/part-of': 'gravl' } },
      data: { 'loki.yaml': configText },
    });
  }
}
