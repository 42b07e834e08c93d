/**
 * The blocking items of the production sign-off, asserted over the whole rendered output of every
 * committed environment. Each check is written over kinds of objects, not named ones, so a
 * workload added later is held to the same bar.
 */
import { describe, expect, it } from 'vitest';
import { parseImage } from '../../lib/model/formats';
import { containersOf, environment, objects, podSpecOf, renderCommitted } from '../support/render';

const POD_OWNERS = ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'];
const LONG_RUNNING = ['Deployment', 'StatefulSet', 'DaemonSet'];

describe.each(renderCommitted().map((env) => [env.name, env] as const))('%s', (_name, env) => {
  const production = env.name === 'production';
  // The manual Jobs (restore, load test) are held to the same bar as what a sync applies.
  const workloads = [...env.objects, ...env.manualObjects].filter((o) => POD_OWNERS.includes(o.kind));

  it('serves its host on a Gateway API edge under TLS from an issuer this environment defines, and redirects HTTP', () => {
    // ingress-nginx was retired in March 2026: the committed environments run the Gateway API edge.
    expect(objects(env, 'Ingress')).toEqual([]);
    const gateways = objects(env, 'Gateway');
    expect(gateways).toHaveLength(1);
    const issuers = objects(env, 'ClusterIssuer').map((o) => o.metadata.name);
    const gateway = gateways[0]!;
    expect(issuers).toContain(gateway.metadata.annotations?.['cert-manager.io/cluster-issuer']);
    const listeners = (gateway.spec as any).listeners as Array<{ name: string; protocol: string; hostname: string; tls?: { certificateRefs: Array<{ name: string }> } }>;
    const https = listeners.filter((l) => l.protocol === 'HTTPS');
    expect(https.length).toBeGreaterThan(0);
    for (const l of https) expect(l.tls?.certificateRefs[0]?.name).toMatch(/\S/);
    for (const l of listeners.filter((x) => x.protocol === 'HTTP')) {
      const routes = objects(env, 'HTTPRoute').filter((r) => (r.spec as any).parentRefs.some((p: any) => p.sectionName === l.name));
      expect(routes.length, `a route on listener ${l.name}`).toBeGreaterThan(0);
      for (const r of routes) expect((r.spec as any).rules.every((rule: any) => rule.filters?.some((f: any) => f.type === 'RequestRedirect' && f.requestRedirect.scheme === 'https'))).toBe(true);
    }
  });

  it('gives every container requests and limits for CPU and memory', () => {
    expect(workloads.length).toBeGreaterThan(0);
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const where = `${workload.kind} ${workload.metadata.name}/${container.name}`;
        for (const kind of ['requests', 'limits']) {
          expect(container.resources?.[kind]?.cpu, `${where} ${kind}.cpu`).toBeDefined();
          expect(container.resources?.[kind]?.memory, `${where} ${kind}.memory`).toBeDefined();
        }
      }
    }
  });

  it('gives every long-running container startup, readiness and liveness probes', () => {
    const longRunning = workloads.filter((w) => LONG_RUNNING.includes(w.kind));
    expect(longRunning.length).toBeGreaterThanOrEqual(10);
    for (const workload of longRunning) {
      for (const container of podSpecOf(workload)!.containers as Array<Record<string, unknown>>) {
        const where = `${workload.kind} ${workload.metadata.name}/${String(container.name)}`;
        expect(container.startupProbe, `${where} startupProbe`).toBeDefined();
        expect(container.readinessProbe, `${where} readinessProbe`).toBeDefined();
        expect(container.livenessProbe, `${where} livenessProbe`).toBeDefined();
      }
    }
  });

  it('runs every pod in a restricted namespace to the restricted Pod Security Standard', () => {
    const restricted = new Set(
      objects(env, 'Namespace')
        .filter((ns) => ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'restricted')
        .map((ns) => ns.metadata.name),
    );
    const app = objects(env, 'Deployment', 'backend')[0]!.metadata.namespace!;
    expect([...restricted].sort()).toEqual([app, 'gravl-monitoring'].sort());
    const held = workloads.filter((w) => restricted.has(w.metadata.namespace!));
    expect(held.length).toBeGreaterThanOrEqual(10);
    for (const workload of held) {
      const pod = podSpecOf(workload)!;
      expect(pod.securityContext?.runAsNonRoot, `${workload.metadata.name} runAsNonRoot`).toBe(true);
      expect(pod.securityContext?.seccompProfile?.type).toBe('RuntimeDefault');
      expect(pod.hostNetwork ?? false).toBe(false);
      for (const container of containersOf(workload)) {
        const sc = container.securityContext ?? {};
        expect(sc.allowPrivilegeEscalation, `${workload.metadata.name}/${container.name}`).toBe(false);
        expect(sc.capabilities?.drop).toEqual(['ALL']);
        expect(sc.readOnlyRootFilesystem).toBe(true);
        expect(sc.privileged ?? false).toBe(false);
      }
    }
  });

  it('runs as root only in node agents, and says so; every other pod and container runs as non-root', () => {
    const privileged = new Set(objects(env, 'Namespace').filter((ns) => ns.metadata.labels?.['pod-security.kubernetes.io/enforce'] === 'privileged').map((ns) => ns.metadata.name));
    const root = workloads.filter((w) => podSpecOf(w)!.securityContext?.runAsUser === 0);
    expect(root.map((w) => `${w.kind} ${w.metadata.name}`)).toEqual(['DaemonSet alloy']);
    for (const workload of workloads) {
      const pod = podSpecOf(workload)!;
      const where = `${workload.kind} ${workload.metadata.name}`;
      expect(pod.securityContext?.runAsUser, where).toEqual(expect.any(Number));
      expect(pod.securityContext?.runAsNonRoot, where).toBe(pod.securityContext?.runAsUser !== 0);
      if (pod.securityContext?.runAsUser === 0) {
        expect(workload.kind, where).toBe('DaemonSet');
        expect(privileged.has(workload.metadata.namespace!), where).toBe(true);
      }
      for (const container of containersOf(workload)) {
        const user = container.securityContext?.runAsUser ?? pod.securityContext.runAsUser;
        expect(container.securityContext?.runAsNonRoot, `${where}/${container.name}`).toBe(user !== 0);
      }
    }
  });

  it('mounts only ConfigMaps that this output creates in the pod\'s namespace', () => {
    const configMaps = new Set([...env.objects, ...env.manualObjects].filter((o) => o.kind === 'ConfigMap').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const mounted = workloads.flatMap((w) => ((podSpecOf(w)!.volumes ?? []) as Array<{ configMap?: { name: string } }>).filter((v) => v.configMap).map((v) => `${w.metadata.namespace}/${v.configMap!.name}`));
    expect(mounted.length).toBeGreaterThanOrEqual(8);
    for (const name of mounted) expect(configMaps, name).toContain(name);
  });

  it('labels every namespace it creates with a pinned Pod Security level for enforce, audit and warn', () => {
    const namespaces = objects(env, 'Namespace');
    expect(namespaces.length).toBeGreaterThan(0);
    for (const ns of namespaces) {
      const labels = ns.metadata.labels ?? {};
      const level = labels['pod-security.kubernetes.io/enforce'];
      expect(['restricted', 'baseline', 'privileged']).toContain(level);
      for (const mode of ['enforce', 'audit', 'warn']) {
        expect(labels[`pod-security.kubernetes.io/${mode}`], `${ns.metadata.name} ${mode}`).toBeDefined();
        expect(labels[`pod-security.kubernetes.io/${mode}-version`], `${ns.metadata.name} ${mode}-version`).toMatch(/^v1\.\d+$/);
      }
    }
  });

  it('names objects plainly, with no generated hash suffixes', () => {
    for (const o of env.objects) {
      expect(o.metadata.name, `${o.kind} ${o.metadata.name}`).not.toMatch(/-c8[0-9a-f]{6,}$|-(?=[0-9a-f]*\d)[0-9a-f]{6,}$/);
      for (const value of Object.values(o.metadata.labels ?? {})) expect(value).not.toMatch(/-c8[0-9a-f]{6,}$/);
    }
  });

  it('pins every image to a version, and in production to a digest', () => {
    for (const workload of workloads) {
      for (const container of containersOf(workload)) {
        const image = parseImage(container.image);
        expect(image, container.image).toBeDefined();
        expect(image?.tag ?? image?.digest, container.image).toBeDefined();
        expect(image?.tag).not.toBe('latest');
        if (production) expect(image?.digest, container.image).toMatch(/^sha256:[0-9a-f]{64}$/);
      }
    }
  });

  it('gives every workload its own ServiceAccount and mounts no API token it does not need', () => {
    const accounts = new Set([...env.objects, ...env.manualObjects].filter((o) => o.kind === 'ServiceAccount').map((sa) => `${sa.metadata.namespace}/${sa.metadata.name}`));
    for (const workload of workloads) {
      const pod = podSpecOf(workload)!;
      expect(pod.serviceAccountName, `${workload.kind} ${workload.metadata.name}`).toBeDefined();
      expect(accounts).toContain(`${workload.metadata.namespace}/${pod.serviceAccountName}`);
      expect(pod.serviceAccountName).not.toBe('default');
    }
    // Its own: no two workloads share one.
    const used = workloads.map((w) => `${w.metadata.namespace}/${podSpecOf(w)!.serviceAccountName}`);
    expect(used.length).toBeGreaterThanOrEqual(10);
    expect(new Set(used).size, used.join(', ')).toBe(used.length);
    for (const workload of workloads.filter((w) => ['backend', 'frontend'].includes(w.metadata.name))) {
      expect(podSpecOf(workload)!.automountServiceAccountToken).toBe(false);
    }
  });
});

it('renders both signed-off environments', () => {
  expect(renderCommitted().map((e) => e.name)).toEqual(expect.arrayContaining(['staging', 'production']));
});

it('runs every production Deployment of the app with at least two replicas, a PodDisruptionBudget and topology spread', () => {
  const env = environment('production');
  const deployments = objects(env, 'Deployment').filter((d) => d.metadata.namespace === 'gravl-prod');
  expect(deployments.length).toBeGreaterThan(0);
  for (const deployment of deployments) {
    const name = deployment.metadata.name;
    const hpa = objects(env, 'HorizontalPodAutoscaler').find((h) => (h.spec as any).scaleTargetRef.name === name);
    const replicas = hpa ? (hpa.spec as any).minReplicas : (deployment.spec as any).replicas;
    expect(replicas, `${name} replicas`).toBeGreaterThanOrEqual(2);
    const selector = (deployment.spec as any).selector.matchLabels;
    const pdb = objects(env, 'PodDisruptionBudget').find((p) => JSON.stringify((p.spec as any).selector.matchLabels) === JSON.stringify(selector));
    expect(pdb, `${name} PodDisruptionBudget`).toBeDefined();
    expect(podSpecOf(deployment)!.topologySpreadConstraints?.length, `${name} spread`).toBeGreaterThan(0);
  }
});
