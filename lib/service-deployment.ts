/**
 * A stateless HTTP workload: its own ServiceAccount (no token), a Deployment that meets the
 * restricted bar, a ClusterIP Service on named ports, and, once it runs two or more replicas, a
 * PodDisruptionBudget and topology spread. With autoscaling bounds it gets an HPA and leaves
 * `replicas` to it.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { AutoscalingSpec, Resources } from './config/schema';
import { workloadLabels } from './labels';
import type { NetworkPolicies } from './network/network-policies';
import { Workload } from './workload';
import {
  httpServerProbes,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  scratchMounts,
  scratchVolumes,
  type ScratchDir,
} from './pod';

/** A port the container listens on and the Service exposes. */
export interface ServicePort {
  /** Port name, used by probes, the Service's targetPort and NetworkPolicies. */
  readonly name: string;
  readonly containerPort: number;
  /** @default containerPort */
  readonly servicePort?: number;
}

export interface ServiceDeploymentProps {
  readonly namespace: string;
  /** The environment's NetworkPolicies: the workload joins as a member and declares its flows there. */
  readonly network: NetworkPolicies;
  /** Name of the Deployment, Service and ServiceAccount. */
  readonly name: string;
  /** app.kubernetes.io/component, e.g. `api`. */
  readonly component: string;
  readonly image: string;
  /** Replicas when no HPA manages the Deployment. */
  readonly replicas: number;
  /**
   * HPA bounds; when given, the Deployment leaves `replicas` to the HPA.
   * @default no HPA
   */
  readonly autoscaling?: AutoscalingSpec;
  readonly resources: Resources;
  /** The numeric user the image runs as (restricted pods must not run as root). */
  readonly user: number;
  readonly ports: readonly ServicePort[];
  /** The HTTP path and port name that the startup, readiness and liveness probes call. */
  readonly healthCheck: { readonly path: string; readonly port: string };
  /** @default no extra variables */
  readonly env?: readonly k8s.EnvVar[];
  /** @default a 64Mi emptyDir at /tmp */
  readonly scratchDirs?: readonly ScratchDir[];
}

export class ServiceDeployment extends Workload {
  readonly servicePorts: readonly ServicePort[];
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;

  constructor(scope: Construct, id: string, props: ServiceDeploymentProps) {
    super(scope, id, { name: props.name, namespace: props.namespace, ports: props.ports, network: props.network });
    const scratchDirs = props.scratchDirs ?? [{ name: 'tmp', mountPath: '/tmp' }];
    const env = props.env ?? [];
    const minReplicas = props.autoscaling?.minReplicas ?? props.replicas;

    this.servicePorts = props.ports;
    const labels = workloadLabels(props.name, props.component, props.image);
    const metadata = { name: props.name, namespace: props.namespace, labels };

    this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', {
      metadata,
      automountServiceAccountToken: false,
    });

    this.deployment = new k8s.KubeDeployment(this, 'deployment', {
      metadata,
      spec: {
        // An HPA owns the replica count; a value here would reset it on every sync.
        ...(props.autoscaling ? {} : { replicas: props.replicas }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: { ...this.selector } },
        strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: k8s.IntOrString.fromNumber(1), maxUnavailable: k8s.IntOrString.fromNumber(0) } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: this.serviceAccount.name,
            automountServiceAccountToken: false,
            enableServiceLinks: false,
            securityContext: restrictedPodSecurityContext(props.user),
            ...(minReplicas >= 2 ? { topologySpreadConstraints: spread(this.selector) } : {}),
            containers: [
              {
                name: props.name,
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                ports: this.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
                env: [...env],
                resources: resourceRequirements(props.resources),
                securityContext: restrictedContainerSecurityContext(),
                ...httpServerProbes(props.healthCheck.path, props.healthCheck.port),
                volumeMounts: scratchMounts(scratchDirs),
              },
            ],
            volumes: scratchVolumes(scratchDirs),
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'service', {
      metadata,
      spec: {
        type: 'ClusterIP',
        selector: { ...this.selector },
        ports: props.ports.map((p) => ({
          name: p.name,
          port: p.servicePort ?? p.containerPort,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: 'TCP',
        })),
      },
    });

    if (minReplicas >= 2) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata,
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selector } } },
      });
    }

    if (props.autoscaling) {
      this.autoscaler = new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
        metadata,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.deployment.name },
          minReplicas: props.autoscaling.minReplicas,
          maxReplicas: props.autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: props.autoscaling.targetCPUUtilizationPercentage ?? 70 } },
            },
          ],
        },
      });
    }
  }

  /** The Service's in-cluster DNS name. */
  get serviceHost(): string {
    return `${this.service.name}.${this.namespace}.svc.cluster.local`;
  }

  /** The Service port of a named port. */
  servicePort(name: string): number {
    const port = this.servicePorts.find((p) => p.name === name);
    if (!port) throw new Error(`${this.name} has no port named ${name}`);
    return port.servicePort ?? port.containerPort;
  }
}

/**
 * Spread replicas over nodes (hard) and zones (soft). Tainted or cordoned nodes are not counted,
 * so a drain can always move a pod; skew is counted per ReplicaSet so a rollout is not blocked by
 * the old pods.
 */
function spread(selector: Record<string, string>): k8s.TopologySpreadConstraint[] {
  const common = { maxSkew: 1, labelSelector: { matchLabels: { ...selector } }, matchLabelKeys: ['pod-template-hash'], nodeTaintsPolicy: 'Honor' };
  return [
    { ...common, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' },
    { ...common, topologyKey: 'topology.kubernetes.io/zone', whenUnsatisfiable: 'ScheduleAnyway' },
  ];
}
