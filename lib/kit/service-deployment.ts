/**
 * A stateless HTTP workload: its own ServiceAccount (no token), a Deployment that meets the
 * restricted bar, a ClusterIP Service on named ports, and, once it runs two or more replicas, a
 * PodDisruptionBudget and topology spread. With autoscaling bounds it gets an HPA and leaves
 * `replicas` to it.
 */
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { type ScaledWorkloadSpec } from '../model/schema';
import { AUTOSCALING_DEFAULTS } from '../model/defaults';
import { selectorLabels, workloadLabels } from './labels';
import type { NetworkPolicies } from './network/network-policies';
import { httpServerProbes, resourceRequirements, scratchMounts, scratchVolumes, type ScratchDir } from './pod';
import { PodWorkload, type ServicePort } from './pod-workload';
import type { PriorityClassKey } from './scheduling';
import { GRACEFUL_SHUTDOWN } from '../model/graceful-shutdown';


export interface ServiceDeploymentProps {
  readonly namespace: string;
  /** The environment's NetworkPolicies: the workload joins as a member and declares its flows there. */
  readonly network: NetworkPolicies;
  /** Name of the Deployment, Service and ServiceAccount. */
  readonly name: string;
  /** app.kubernetes.io/component, e.g. `api`. */
  readonly component: string;
  /** Image, replicas, resources and autoscaling bounds, from the environment file. */
  readonly workload: ScaledWorkloadSpec;
  /** Autoscale between the workload's bounds (an HPA owns `replicas`). @default false */
  readonly autoscaling?: boolean;
  /** The numeric user the image runs as (restricted pods must not run as root). */
  readonly user: number;
  readonly ports: readonly ServicePort[];
  /** The HTTP path and port name that the startup, readiness and liveness probes call. */
  readonly healthCheck: { readonly path: string; readonly port: string };
  /** @default no extra variables */
  readonly env?: readonly k8s.EnvVar[];
  /** Annotations of the pod template (a change rolls the pods). @default none */
  readonly podAnnotations?: Readonly<Record<string, string>>;
  /** The PriorityClass of the pods. @default gravl-standard */
  readonly priorityClass?: PriorityClassKey;
}

/** A writable /tmp on the read-only root filesystem. */
const SCRATCH: readonly ScratchDir[] = [{ name: 'tmp', mountPath: '/tmp' }];

export class ServiceDeployment extends PodWorkload {
  readonly podDisruptionBudget?: k8s.KubePodDisruptionBudget;
  readonly autoscaler?: k8s.KubeHorizontalPodAutoscalerV2;

  constructor(scope: Construct, id: string, props: ServiceDeploymentProps) {
    const autoscaling = (props.autoscaling ?? false) ? props.workload.autoscaling : undefined;
    // The environment rules require replicas wherever no HPA owns them; 1 is PodWorkload's default too.
    const minReplicas = autoscaling?.minReplicas ?? props.workload.replicas ?? 1;
    super(scope, id, {
      kind: 'Deployment',
      namespace: props.namespace,
      name: props.name,
      component: props.component,
      network: props.network,
      user: props.user,
      servicePorts: props.ports,
      replicas: autoscaling ? 'autoscaled' : props.workload.replicas,
      rollout: 'surge',
      containers: [
        {
          name: props.name,
          image: props.workload.image,
          ports: props.ports.map((p) => ({ name: p.name, containerPort: p.containerPort, protocol: p.protocol ?? 'TCP' })),
          env: [...(props.env ?? [])],
          resources: resourceRequirements(props.workload.resources),
          ...httpServerProbes(props.healthCheck.path, props.healthCheck.port),
          volumeMounts: scratchMounts(SCRATCH),
          lifecycle: { preStop: { exec: { command: ['sleep', String(GRACEFUL_SHUTDOWN.preStopDelaySeconds)] } } },
        },
      ],
      volumes: scratchVolumes(SCRATCH),
      ...(props.podAnnotations ? { podAnnotations: props.podAnnotations } : {}),
      podSpec: {
        terminationGracePeriodSeconds: GRACEFUL_SHUTDOWN.terminationGracePeriodSeconds,
        ...(minReplicas >= 2 ? { topologySpreadConstraints: spread(selectorLabels(props.name)) } : {}),
      },
      ...(props.priorityClass ? { priorityClass: props.priorityClass } : {}),
      ...(minReplicas >= 2
        ? {}
        : { disruptionDecision: 'One replica, as the environment file sets it: a PodDisruptionBudget would make its node undrainable. A drain or rollout starts the new pod before the old one stops (maxSurge 1, maxUnavailable 0); a node failure interrupts it. Production runs two or more, with a budget.' }),
    });
    const metadata = { name: this.name, namespace: this.namespace, labels: workloadLabels(this.name, props.component, props.workload.image) };

    if (minReplicas >= 2) {
      this.podDisruptionBudget = new k8s.KubePodDisruptionBudget(this, 'pdb', {
        metadata,
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: { ...this.selector } } },
      });
    }

    if (autoscaling) {
      this.autoscaler = new k8s.KubeHorizontalPodAutoscalerV2(this, 'hpa', {
        metadata,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: this.resource.name },
          minReplicas: autoscaling.minReplicas,
          maxReplicas: autoscaling.maxReplicas,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage ?? AUTOSCALING_DEFAULTS.targetCPUUtilizationPercentage } },
            },
          ],
        },
      });
    }
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
