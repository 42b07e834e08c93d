/**
 * The namespaces the generator owns, and the PriorityClasses. The app namespace carries what
 * readiness needs to judge the output on its own: the environment's name, whether the production
 * bar applies, and the StorageClasses the cluster has.
 */
import type { Chart } from 'cdk8s';
import { Construct } from 'constructs';
import { ENVIRONMENT_LABEL, PRODUCTION_LABEL, STORAGE_CLASSES_ANNOTATION } from '../contract';
import { type EnvironmentFile } from '../model/schema';
import { CLUSTER_DEFAULTS } from '../model/defaults';
import { Namespace } from '../kit/namespace';
import { PriorityClasses } from '../kit/scheduling';
import { MONITORING_NAMESPACE, NODE_AGENTS_NAMESPACE } from './names';

export interface NamespacesProps {
  /** The environment's name, labelled on the app namespace. */
  readonly environment: string;
  /** The app namespace (`namespace` of the file). */
  readonly app: string;
  /** Whether the production bar applies. */
  readonly production: boolean;
  readonly cluster: EnvironmentFile['cluster'];
}

export class Namespaces extends Construct {
  /** The app namespace: the backend, the frontend, the database. */
  readonly app: string;
  /** Prometheus, Alertmanager, Grafana, Loki and kube-state-metrics. */
  readonly monitoring: string;
  /** The node agents, the only namespace whose pods may use the host. */
  readonly nodeAgents: string;
  /** Every namespace, each of which gets a default deny. */
  readonly all: readonly string[];

  constructor(scope: Chart, id: string, props: NamespacesProps) {
    super(scope, id);
    const podSecurityVersion = props.cluster.podSecurityVersion ?? CLUSTER_DEFAULTS.podSecurityVersion;
    this.app = new Namespace(this, 'app', {
      name: props.app,
      podSecurityVersion,
      labels: { [ENVIRONMENT_LABEL]: props.environment, [PRODUCTION_LABEL]: String(props.production) },
      annotations: { [STORAGE_CLASSES_ANNOTATION]: props.cluster.storageClasses.join(',') },
    }).name;
    this.monitoring = new Namespace(this, 'monitoring', { name: MONITORING_NAMESPACE, podSecurityVersion }).name;
    // Node agents read host paths and use the host network: the only namespace that may.
    this.nodeAgents = new Namespace(this, 'node-agents', { name: NODE_AGENTS_NAMESPACE, podSecurityVersion, podSecurity: 'privileged' }).name;
    this.all = [this.app, this.monitoring, this.nodeAgents];
    new PriorityClasses(this, 'priority-classes', { labels: { 'app.kubernetes.io/name': 'gravl-scheduling', 'app.kubernetes.io/component': 'scheduling' } });
  }
}
