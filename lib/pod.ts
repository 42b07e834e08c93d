/**
 * The bar every container and pod meets (Pod Security Standard `restricted`): non-root, no
 * privilege escalation, every capability dropped, seccomp RuntimeDefault, a read-only root
 * filesystem with emptyDirs only where a program must write, requests and limits always.
 */
import { k8s } from 'cdk8s-plus-28';
import type { Resources } from './config/schema';

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

/** The restricted securityContext of a pod, running as `user` (and group), with volumes owned by `fsGroup`. */
export function restrictedPodSecurityContext(user: number, fsGroup?: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    ...(fsGroup !== undefined ? { fsGroup, fsGroupChangePolicy: 'OnRootMismatch' } : {}),
    seccompProfile: { type: 'RuntimeDefault' },
  };
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
