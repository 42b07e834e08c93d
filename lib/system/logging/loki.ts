/**
 * Loki: StatefulSet `loki`, single binary, with a current 3.x configuration (tsdb, schema v13,
 * filesystem storage, retention). Its data lives on an emptyDir or on a claim of a StorageClass the
 * environment declares: the seeds' Loki crash-looped on a PVC that asked for a class the cluster
 * did not have, which the environment file's validation now refuses.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { yamlText } from '../../kit/yaml';
import type { Resources } from '../../model/schema';
import { LOKI, SCRAPE_JOBS } from '../names';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { claimSpec, httpServerProbes, resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import { PodWorkload } from '../../kit/pod-workload';
import { DEFAULT_LOKI_DATA_DIR, LOKI_GRPC_PORT, lokiConfig } from './loki-config';
import type { ScrapeTargets } from '../../kit/scrape';

/** emptyDir (logs lost when the pod goes) or a claim on a declared StorageClass. */
export type LokiStorage =
  | { readonly type: 'emptyDir'; readonly sizeLimit?: string }
  | { readonly type: 'persistentVolumeClaim'; readonly storageClassName: string; readonly size: string };

export interface LokiProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  /** Where it declares its metrics port for Prometheus to scrape. */
  readonly metrics: ScrapeTargets;
  readonly image: string;
  readonly resources: Resources;
  /** How long logs are kept, a multiple of 24h such as 168h. */
  readonly retention: string;
  readonly storage: LokiStorage;
}

/** The `loki` user of the Loki images. */
const USER = 10001;
const DATA_DIR = DEFAULT_LOKI_DATA_DIR;
const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

export class Loki extends PodWorkload {
  constructor(scope: Construct, id: string, props: LokiProps) {
    const configText = yamlText(lokiConfig({ retentionPeriod: props.retention, dataDir: DATA_DIR }));
    const http = { name: LOKI.port.name, containerPort: LOKI.port.port };
    const grpc = { name: 'grpc', containerPort: LOKI_GRPC_PORT };
    const storage = props.storage;
    super(scope, id, {
      kind: 'StatefulSet',
      disruptionDecision: 'One replica (single-binary Loki): a PodDisruptionBudget would make its node undrainable; during a drain the collectors buffer and retry, so logs arrive late, not lost.',
      namespace: props.namespace,
      name: LOKI.service,
      component: 'logs',
      network: props.network,
      user: USER,
      fsGroup: USER,
      servicePorts: [http],
      ports: [http, grpc],
      configMaps: [{ volume: 'config', name: 'loki-config', data: { 'loki.yaml': configText } }],
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
            ...scratchMounts(SCRATCH),
          ],
        },
      ],
      volumes: [
        ...scratchVolumes(SCRATCH),
        ...(storage.type === 'emptyDir' ? [{ name: 'data', emptyDir: storage.sizeLimit ? { sizeLimit: k8s.Quantity.fromString(storage.sizeLimit) } : {} }] : []),
      ],
      ...(storage.type === 'persistentVolumeClaim'
        ? {
            volumeClaimTemplates: [
              {
                metadata: { name: 'data' },
                spec: claimSpec(storage),
              },
            ],
          }
        : {}),
    });
    props.metrics.scrape({ job: SCRAPE_JOBS.loki, workload: this, port: LOKI.port.name });
  }
}
