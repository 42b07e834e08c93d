/**
 * A long-running workload (the backend and frontend, the database, the platform's components):
 * its own ServiceAccount, a Deployment, StatefulSet or DaemonSet whose containers meet the
 * restricted bar unless the workload says why not, and a Service on named ports. Config it mounts
 * is hashed into a pod annotation, so a changed ConfigMap rolls the pods.
 */
import * as crypto from 'node:crypto';
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { selectorLabels, workloadLabels } from './labels';
import type { MemberPort } from './network/peers';

/** A port the pods listen on, and the Service port that forwards to it. */
export interface ServicePort extends MemberPort {
  /** @default containerPort */
  readonly servicePort?: number;
}
import { bindClusterRole, ownServiceAccount, podTemplate, type PodOwnerProps } from './pod';
import type { PriorityClassKey } from './scheduling';
import { Workload } from './workload';
import { DISRUPTION_ANNOTATION, HOST_ACCESS_ANNOTATION } from '../contract';

/** A ConfigMap the pods mount: created with the workload, mounted as volume `volume`. */
export interface ConfigFiles {
  /** Name of the pod volume (mount it in a container by this name); also the construct id. */
  readonly volume: string;
  /** Name of the ConfigMap. */
  readonly name: string;
  /** File name to content. */
  readonly data: Readonly<Record<string, string>>;
}

export interface PodWorkloadProps extends PodOwnerProps {
  readonly kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  /** Ports the Service exposes (forwarding to the container ports of the same names). @default no Service */
  readonly servicePorts?: readonly ServicePort[];
  /** Ports the pods listen on, for NetworkPolicies. @default the Service's ports */
  readonly ports?: readonly MemberPort[];
  /** @default false */
  readonly headless?: boolean;
  /** Whether the pods call the Kubernetes API (mounts the ServiceAccount token). @default false */
  readonly callsApi?: boolean;
  /**
   * The ConfigMaps the pods load. Each is created beside the workload and added to its volumes
   * (first); a hash of their data in a pod annotation rolls the pods when any of it changes.
   */
  readonly configMaps?: readonly ConfigFiles[];
  /** Annotations of the pod template (a change rolls the pods). @default none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** StatefulSet claims. */
  readonly volumeClaimTemplates?: readonly k8s.KubePersistentVolumeClaimProps[];
  /** Pod spec fields beyond the defaults (hostNetwork, tolerations, ...). */
  readonly podSpec?: Partial<k8s.PodSpec>;
  /**
   * Replicas of a Deployment or StatefulSet, or `autoscaled`: an HPA owns the count, and a value
   * here would reset it on every sync.
   * @default 1
   */
  readonly replicas?: number | 'autoscaled';
  /**
   * How a Deployment rolls out: `replace` stops the old pod first (one replica owning a volume),
   * `surge` starts a new pod before it stops an old one (no capacity lost).
   * @default replace
   */
  readonly rollout?: 'replace' | 'surge';
  /** A node agent in the privileged namespace: the only kind of workload that may run as root (user 0). @default false */
  readonly nodeAgent?: boolean;
  /**
   * The workload reloads its mounted ConfigMaps itself: no hash of them in the pod template, so a
   * change is applied in place rather than by a restart. @default false
   */
  readonly reloadsConfig?: boolean;
  /** The PriorityClass of the pods. @default gravl-node-agent for a node agent, else gravl-standard */
  readonly priorityClass?: PriorityClassKey;
  /**
   * Why the workload has no PodDisruptionBudget, written on it as {@link DISRUPTION_ANNOTATION}
   * (a single replica a budget would only make undrainable, a DaemonSet, ...). A workload with a
   * budget leaves it out.
   */
  readonly disruptionDecision?: string;
  /**
   * A node agent's access to its host, with the reason, written in the exemption annotations the
   * common policy tools read (see {@link hostAccessAnnotations}). @default none
   */
  readonly hostAccess?: HostAccess;
}

/** What of its host a node agent uses. */
export type HostAccessKind = 'host-network' | 'host-pid' | 'host-path' | 'root';

/** A node agent's host access and why it needs it. */
export interface HostAccess {
  readonly kinds: readonly HostAccessKind[];
  /** One sentence: what the agent reads from the host and why it cannot work without it. */
  readonly reason: string;
}

/** Per kind of host access: the kube-linter check and the Polaris check it exempts from. */
const POLICY_CHECKS: Record<HostAccessKind, { readonly kubeLinter: string; readonly polaris?: string }> = {
  'host-network': { kubeLinter: 'host-network', polaris: 'hostNetworkSet' },
  'host-pid': { kubeLinter: 'host-pid', polaris: 'hostPIDSet' },
  'host-path': { kubeLinter: 'sensitive-host-mounts' },
  root: { kubeLinter: 'run-as-non-root', polaris: 'runAsRootAllowed' },
};

/**
 * The exemption annotations of a node agent: kube-linter's `ignore-check.kube-linter.io/<check>`
 * (its value is the reason) and Polaris's `polaris.fairwinds.com/<check>-exempt`, beside
 * {@link HOST_ACCESS_ANNOTATION} with the reason itself.
 */
export function hostAccessAnnotations(access: HostAccess): Record<string, string> {
  const annotations: Record<string, string> = { [HOST_ACCESS_ANNOTATION]: `${[...access.kinds].sort().join(',')}: ${access.reason}` };
  for (const kind of access.kinds) {
    const checks = POLICY_CHECKS[kind];
    annotations[`ignore-check.kube-linter.io/${checks.kubeLinter}`] = access.reason;
    if (checks.polaris) annotations[`polaris.fairwinds.com/${checks.polaris}-exempt`] = 'true';
  }
  return annotations;
}

export class PodWorkload extends Workload {
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly service?: k8s.KubeService;
  readonly resource: k8s.KubeDeployment | k8s.KubeStatefulSet | k8s.KubeDaemonSet;
  /** The Service's ports. */
  readonly servicePorts: readonly ServicePort[];

  constructor(scope: Construct, id: string, props: PodWorkloadProps) {
    super(scope, id, { name: props.name, namespace: props.namespace, network: props.network, ports: props.ports ?? props.servicePorts ?? [] });
    const labels = workloadLabels(props.name, props.component, props.containers[0]?.image);
    const metadata = { name: props.name, namespace: props.namespace, labels };
    const callsApi = props.callsApi ?? false;
    const replicas = props.replicas === 'autoscaled' ? undefined : (props.replicas ?? 1);
    this.servicePorts = props.servicePorts ?? [];

    this.serviceAccount = ownServiceAccount(this, metadata, callsApi);
    if (props.servicePorts) {
      this.service = new k8s.KubeService(this, 'service', {
        metadata,
        spec: {
          ...(props.headless ? { clusterIp: 'None' } : { type: 'ClusterIP' }),
          selector: { ...this.selector },
          ports: props.servicePorts.map((p) => ({ name: p.name, port: p.servicePort ?? p.containerPort, targetPort: k8s.IntOrString.fromString(p.name), protocol: p.protocol ?? 'TCP' })),
        },
      });
    }

    const configMaps = props.configMaps ?? [];
    const configTexts = configMaps.flatMap((c) => Object.values(c.data));
    const configHash = configTexts.length && !props.reloadsConfig ? crypto.createHash('sha256').update(configTexts.join('\0')).digest('hex').slice(0, 16) : undefined;
    const volumes = [...configMaps.map((c): k8s.Volume => ({ name: c.volume, configMap: { name: c.name } })), ...(props.volumes ?? [])];
    const template = podTemplate({
      labels,
      ...(configHash || props.podAnnotations ? { annotations: { ...props.podAnnotations, ...(configHash ? { 'gravl.app/config-hash': configHash } : {}) } } : {}),
      serviceAccount: this.serviceAccount,
      callsApi,
      user: props.user,
      ...(props.fsGroup !== undefined ? { fsGroup: props.fsGroup } : {}),
      nodeAgent: props.nodeAgent ?? false,
      containers: props.containers,
      ...(volumes.length ? { volumes } : {}),
      ...(props.podSpec ? { podSpec: props.podSpec } : {}),
      ...(props.priorityClass ? { priorityClass: props.priorityClass } : {}),
    });
    const annotations = {
      ...(props.disruptionDecision ? { [DISRUPTION_ANNOTATION]: props.disruptionDecision } : {}),
      ...(props.hostAccess ? hostAccessAnnotations(props.hostAccess) : {}),
    };
    const workloadMetadata = Object.keys(annotations).length ? { ...metadata, annotations } : metadata;
    const selector = { matchLabels: { ...this.selector } };
    switch (props.kind) {
      case 'Deployment':
        this.resource = new k8s.KubeDeployment(this, 'deployment', {
          metadata: workloadMetadata,
          spec: {
            ...(replicas === undefined ? {} : { replicas }),
            revisionHistoryLimit: 5,
            selector,
            strategy: (props.rollout ?? 'replace') === 'surge'
              ? { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } }
              : { type: 'Recreate' },
            template,
          },
        });
        break;
      case 'StatefulSet':
        this.resource = new k8s.KubeStatefulSet(this, 'statefulset', {
          metadata: workloadMetadata,
          spec: {
            ...(replicas === undefined ? {} : { replicas }),
            serviceName: this.service?.name ?? props.name,
            selector,
            podManagementPolicy: 'OrderedReady',
            updateStrategy: { type: 'RollingUpdate' },
            template,
            ...(props.volumeClaimTemplates ? { volumeClaimTemplates: [...props.volumeClaimTemplates], persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' } } : {}),
          },
        });
        break;
      case 'DaemonSet':
        this.resource = new k8s.KubeDaemonSet(this, 'daemonset', {
          metadata: workloadMetadata,
          spec: { selector, updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } }, template },
        });
        break;
    }
    const configLabels = selectorLabels(props.name);
    for (const c of configMaps) new k8s.KubeConfigMap(this, c.volume, { metadata: { name: c.name, namespace: props.namespace, labels: configLabels }, data: { ...c.data } });
  }

  /** The Service's name. */
  get serviceName(): string {
    if (!this.service) throw new Error(`${this.name} has no Service`);
    return this.service.name;
  }

  /** The Service's in-cluster DNS name. */
  get host(): string {
    return serviceHost(this.serviceName, this.namespace);
  }

  /** `http://<host>:<Service port>` of a named port, with `path` after it. */
  url(portName: string, path = ''): string {
    return `http://${this.host}:${this.servicePort(portName)}${path}`;
  }

  /** Grants the pods' ServiceAccount a ClusterRole of these rules (named `name`, labelled as the workload). */
  grantClusterRole(name: string, rules: k8s.PolicyRule[]): void {
    bindClusterRole(this, name, selectorLabels(this.name), rules, this.serviceAccount);
  }

  /** The Service port of a named port. */
  servicePort(name: string): number {
    const port = this.servicePorts.find((p) => p.name === name);
    if (!port) throw new Error(`${this.name} has no Service port named ${name}`);
    return port.servicePort ?? port.containerPort;
  }
}

/** The in-cluster DNS name of a Service. */
export function serviceHost(service: string, namespace: string): string {
  return `${service}.${namespace}.svc.cluster.local`;
}
