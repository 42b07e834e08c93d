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
  /** Where its workloads declare their flows. */
  readonly network: NetworkPolicies;
  /** Where Loki and Alloy declare their metrics for Prometheus. */
  readonly metrics: ScrapeTargets;
  /** Where the nodes and the API server are: Alloy reads the pods' metadata from the API. */
  readonly cluster: ClusterAddresses;
  /** The environment's logging section. */
  readonly spec: EnvironmentFile['logging'];
  /**
   * Who queries the logs, and at which URL they were told Loki is: each may reach Loki's HTTP port,
   * and a URL that is not where Loki serves fails the build.
   * @default nobody
   */
  readonly readers?: readonly { readonly workload: Workload; readonly url: string }[];
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
    for (const reader of props.readers ?? []) {
      const served = this.loki.url('http');
      if (reader.url !== served) throw new Error(`${reader.workload.name} queries the logs at ${reader.url}, but Loki serves them at ${served}`);
      this.loki.allowFrom(reader.workload, 'http');
    }
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
