/**
 * Logging: Loki, the log store (single binary, retention from the environment), and Alloy on every
 * node, which tails the pods' logs and pushes them to Loki. Both declare their metrics for
 * Prometheus; whoever reads the logs (Grafana) is admitted to Loki.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import type { EnvironmentFile } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import type { ClusterAddresses } from '../../kit/network/peers';
import type { ScrapeTargets } from '../../kit/scrape';
import type { Workload } from '../../kit/workload';
import { Alloy } from './alloy';
import { Loki } from './loki';

export interface LoggingProps {
  /** Where each part is applied: the store, and the node agents. */
  readonly charts: { readonly store: Chart; readonly nodeAgents: Chart };
  /** The namespace of the store (the monitoring namespace). */
  readonly namespace: string;
  /** The namespace of the node agents (host access). */
  readonly nodeAgentsNamespace: string;
  /** The environment's name: the `environment` label of every log stream. */
  readonly environment: string;
  readonly network: NetworkPolicies;
  readonly metrics: ScrapeTargets;
  readonly cluster: ClusterAddresses;
  /** The environment's logging section. */
  readonly spec: EnvironmentFile['logging'];
  /** Who queries the logs: each may reach Loki's HTTP port. @default nobody */
  readonly readers?: readonly Workload[];
}

export class Logging extends Construct {
  readonly loki: Loki;
  readonly alloy: Alloy;

  constructor(scope: Construct, id: string, props: LoggingProps) {
    super(scope, id);
    const spec = props.spec;
    const storage = spec.loki.storage;
    this.loki = new Loki(props.charts.store, 'loki', {
      namespace: props.namespace,
      network: props.network,
      metrics: props.metrics,
      image: spec.loki.image,
      resources: spec.loki.resources,
      retention: spec.loki.retention,
      storage: storage.type === 'persistentVolumeClaim'
        ? { type: 'persistentVolumeClaim', storageClassName: storage.storageClassName!, size: storage.size! }
        : { type: 'emptyDir', ...(storage.size ? { sizeLimit: storage.size } : {}) },
    });
    for (const reader of props.readers ?? []) this.loki.allowFrom(reader, 'http');
    this.alloy = new Alloy(props.charts.nodeAgents, 'alloy', {
      namespace: props.nodeAgentsNamespace,
      network: props.network,
      metrics: props.metrics,
      cluster: props.cluster,
      image: spec.alloy.image,
      resources: spec.alloy.resources,
      environment: props.environment,
      loki: this.loki,
    });
  }
}
