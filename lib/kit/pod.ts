/**
 * The bar every container and pod meets (Pod Security Standard `restricted`): non-root, no
 * privilege escalation, every capability dropped, seccomp RuntimeDefault, a read-only root
 * filesystem with emptyDirs only where a program must write, requests and limits always.
 */
import { priorityClassName, type PriorityClassKey } from './scheduling';
import type { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from '../model/schema';
import type { NetworkPolicies } from './network/network-policies';

/** Kubernetes resource requirements from the environment file's requests/limits. */
export function resourceRequirements(resources: Resources): k8s.ResourceRequirements {
  return {
    requests: {
      cpu: k8s.Quantity.fromString(resources.requests.cpu),
      memory: k8s.Quantity.fromString(resources.requests.memory),
    },
    limits: {
      cpu: k8s.Quantity.fromString(resources.limits.cpu),
      memory: k8s.Quantity.fromString(resources.limits.memory),
    },
  };
}

/** A directory a program must be able to write on an otherwise read-only root filesystem. */
export interface ScratchDir {
  /** Volume name, e.g. `tmp`. */
  readonly name: string;
  readonly mountPath: string;
  /** @default 64Mi */
  readonly sizeLimit?: string;
}

/** The restricted securityContext of a container. */
export function restrictedContainerSecurityContext(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/**
 * The securityContext of a pod, running as `user` (and group), with volumes owned by `fsGroup`:
 * restricted, non-root. Only a node agent (privileged namespace) may run as root (user 0), and
 * then says so with `runAsNonRoot: false`.
 */
export function podSecurityContext(user: number, fsGroup?: number, nodeAgent = false): k8s.PodSecurityContext {
  if (user === 0 && !nodeAgent) throw new Error('only a node agent may run as root (user 0)');
  return {
    runAsNonRoot: user !== 0,
    runAsUser: user,
    runAsGroup: user,
    ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** What every pod of the generator shares, whatever owns it. */
/** What every workload that owns pods is given: where it runs, who it is, and its pod's containers. */
export interface PodOwnerProps {
  readonly namespace: string;
  /** Name of the workload, its ServiceAccount and its NetworkPolicy member. */
  readonly name: string;
  readonly component: string;
  readonly network: NetworkPolicies;
  /** The pod's containers; each gets the restricted securityContext merged under its own. */
  readonly containers: readonly k8s.Container[];
  readonly volumes?: readonly k8s.Volume[];
  /** The numeric user (and group) the pod runs as. */
  readonly user: number;
  /** Group that owns mounted volumes. @default no fsGroup */
  readonly fsGroup?: number;
}

export interface PodTemplateProps {
  readonly labels: Record<string, string>;
  readonly annotations?: Record<string, string>;
  readonly serviceAccount: k8s.KubeServiceAccount;
  /** Whether the pods call the Kubernetes API (mounts the ServiceAccount token). */
  readonly callsApi: boolean;
  /** The numeric user (and group) the pods run as. */
  readonly user: number;
  /** Group that owns mounted volumes. @default no fsGroup */
  readonly fsGroup?: number;
  /** A node agent in the privileged namespace: may run as root. @default false */
  readonly nodeAgent?: boolean;
  /** Containers and init containers; each gets the restricted securityContext merged under its own. */
  readonly containers: readonly k8s.Container[];
  readonly initContainers?: readonly k8s.Container[];
  readonly volumes?: readonly k8s.Volume[];
  /** Pod spec fields beyond these (restartPolicy, hostNetwork, tolerations, ...). */
  readonly podSpec?: Partial<k8s.PodSpec>;
  /** The PriorityClass of the pods. @default gravl-node-agent for a node agent, else gravl-standard */
  readonly priorityClass?: PriorityClassKey;
}

/** A pod template that meets the bar: its own ServiceAccount, no token unless it calls the API, hardened containers. */
export function podTemplate(props: PodTemplateProps): k8s.PodTemplateSpec {
  const runsAsRoot = props.user === 0;
  const harden = (c: k8s.Container): k8s.Container => ({
    imagePullPolicy: 'IfNotPresent',
    ...c,
    securityContext: { ...restrictedContainerSecurityContext(), ...(runsAsRoot ? { runAsNonRoot: false } : {}), ...c.securityContext },
  });
  return {
    metadata: { labels: props.labels, ...(props.annotations ? { annotations: props.annotations } : {}) },
    spec: {
      serviceAccountName: props.serviceAccount.name,
      priorityClassName: priorityClassName(props.priorityClass ?? (props.nodeAgent ? 'nodeAgent' : 'standard')),
      automountServiceAccountToken: props.callsApi,
      enableServiceLinks: false,
      securityContext: podSecurityContext(props.user, props.fsGroup, props.nodeAgent),
      ...(props.initContainers ? { initContainers: props.initContainers.map(harden) } : {}),
      containers: props.containers.map(harden),
      ...(props.volumes ? { volumes: [...props.volumes] } : {}),
      ...props.podSpec,
    },
  };
}

/** A workload's own ServiceAccount; its token is mounted only where the pods call the API. */
export function ownServiceAccount(scope: Construct, metadata: k8s.ObjectMeta, callsApi: boolean): k8s.KubeServiceAccount {
  return new k8s.KubeServiceAccount(scope, 'service-account', { metadata, automountServiceAccountToken: callsApi });
}

/** A ReadWriteOnce claim of `size` on a StorageClass the environment file names. */
export function claimSpec(storage: { readonly storageClassName: string; readonly size: string }): k8s.PersistentVolumeClaimSpec {
  return {
    accessModes: ['ReadWriteOnce'],
    storageClassName: storage.storageClassName,
    resources: { requests: { storage: k8s.Quantity.fromString(storage.size) } },
  };
}

/** A ClusterRole named `name` with `rules`, bound to one ServiceAccount (never to a group). */
export function bindClusterRole(scope: Construct, name: string, labels: Record<string, string>, rules: k8s.PolicyRule[], account: k8s.KubeServiceAccount): k8s.KubeClusterRole {
  const role = new k8s.KubeClusterRole(scope, 'cluster-role', { metadata: { name, labels }, rules });
  new k8s.KubeClusterRoleBinding(scope, 'cluster-role-binding', {
    metadata: { name, labels },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: role.name },
    subjects: [{ kind: 'ServiceAccount', name: account.name, namespace: account.metadata.namespace! }],
  });
  return role;
}

/** emptyDir volumes for the scratch directories of a pod. */
export function scratchVolumes(dirs: readonly ScratchDir[]): k8s.Volume[] {
  return dirs.map((dir) => ({ name: dir.name, emptyDir: { sizeLimit: k8s.Quantity.fromString(dir.sizeLimit ?? '64Mi') } }));
}

/** Mounts for the scratch directories of a container. */
export function scratchMounts(dirs: readonly ScratchDir[]): k8s.VolumeMount[] {
  return dirs.map((dir) => ({ name: dir.name, mountPath: dir.mountPath }));
}

/** An HTTP GET probe against a named container port. */
export function httpProbe(path: string, port: string, timing: { periodSeconds: number; failureThreshold: number; timeoutSeconds?: number }): k8s.Probe {
  return {
    httpGet: { path, port: k8s.IntOrString.fromString(port) },
    periodSeconds: timing.periodSeconds,
    failureThreshold: timing.failureThreshold,
    timeoutSeconds: timing.timeoutSeconds ?? 2,
  };
}

/** Where the probes of an HTTP server differ from the signed-off defaults. */
export interface HttpProbeOptions {
  /** How long the server may take to start before liveness counts. @default 30 (as signed off) */
  readonly startupSeconds?: number;
  /** Path of the liveness probe. @default the readiness path */
  readonly livenessPath?: string;
  /** Path and port of the readiness probe. @default the path and the port */
  readonly readinessPath?: string;
  readonly readinessPort?: string;
  /** Failed liveness checks, 10 s apart, before a restart. @default 3 */
  readonly livenessFailures?: number;
}

/** The three probes of a long-running HTTP server: a startup budget, then readiness and liveness every 10 s. */
export function httpServerProbes(path: string, port: string, options: HttpProbeOptions = {}): Pick<k8s.Container, 'startupProbe' | 'readinessProbe' | 'livenessProbe'> {
  return {
    startupProbe: httpProbe(path, port, { periodSeconds: 5, failureThreshold: Math.ceil((options.startupSeconds ?? 30) / 5) }),
    readinessProbe: httpProbe(options.readinessPath ?? path, options.readinessPort ?? port, { periodSeconds: 10, failureThreshold: 3 }),
    livenessProbe: httpProbe(options.livenessPath ?? path, port, { periodSeconds: 10, failureThreshold: options.livenessFailures ?? 3 }),
  };
}
