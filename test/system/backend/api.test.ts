import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { renderAll } from '../../../lib/render/synth';
import { committedText, committedValue, edit, environment, object, objects, podSpecOf, renderTexts, sourceFor } from '../../support/render';

describe('backend', () => {
  const staging = environment('staging');
  const production = environment('production');

  it('exposes Service backend on 3000 (http) and 3001 (metrics), selecting the Deployment by stable labels', () => {
    const service = object(staging, 'Service', 'backend');
    const deployment = object(staging, 'Deployment', 'backend');
    expect((service.spec as any).ports).toEqual([
      { name: 'http', port: 3000, targetPort: 'http', protocol: 'TCP' },
      { name: 'metrics', port: 3001, targetPort: 'metrics', protocol: 'TCP' },
    ]);
    const selector = (service.spec as any).selector;
    expect(selector).toEqual((deployment.spec as any).selector.matchLabels);
    expect(Object.keys(selector).sort()).toEqual(['app.kubernetes.io/name', 'app.kubernetes.io/part-of']);
    expect((deployment.spec as any).template.metadata.labels).toMatchObject(selector);
    expect(service.metadata.namespace).toBe('gravl-staging');
  });

  it('has a 30 s startup budget, then readiness and liveness on the health endpoint every 10 s', () => {
    const [container] = podSpecOf(object(staging, 'Deployment', 'backend'))!.containers;
    const { startupProbe, readinessProbe, livenessProbe } = container;
    expect(startupProbe.periodSeconds * startupProbe.failureThreshold).toBe(30);
    for (const probe of [startupProbe, readinessProbe, livenessProbe]) expect(probe.httpGet).toEqual({ path: '/api/health', port: 'http' });
    expect(readinessProbe.periodSeconds).toBe(10);
    expect(livenessProbe.periodSeconds).toBe(10);
  });

  it('uses the signed-off staging resources: requests 100m/128Mi, limits 500m/512Mi', () => {
    const [container] = podSpecOf(object(staging, 'Deployment', 'backend'))!.containers;
    expect(container.resources).toEqual({ requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '500m', memory: '512Mi' } });
  });

  it('runs non-root on a read-only root filesystem with an emptyDir at /tmp', () => {
    const pod = podSpecOf(object(staging, 'Deployment', 'backend'))!;
    const [container] = pod.containers;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(container.volumeMounts).toContainEqual({ name: 'tmp', mountPath: '/tmp' });
    expect(pod.volumes).toContainEqual({ name: 'tmp', emptyDir: { sizeLimit: '64Mi' } });
  });

  it('has its own ServiceAccount and mounts no API token', () => {
    const pod = podSpecOf(object(staging, 'Deployment', 'backend'))!;
    expect(pod.serviceAccountName).toBe('backend');
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(object(staging, 'ServiceAccount', 'backend').automountServiceAccountToken).toBe(false);
  });

  it('connects as the application role with its own sealed password, never as the superuser, to the postgres Service', () => {
    const [container] = podSpecOf(object(staging, 'Deployment', 'backend'))!.containers;
    const env = Object.fromEntries((container.env as any[]).map((e) => [e.name, e.value ?? e.valueFrom]));
    expect(env.PGUSER).toBe('gravl_app');
    expect(env.PGPASSWORD).toEqual({ secretKeyRef: { name: 'gravl-db-app', key: 'password' } });
    expect(JSON.stringify(container.env)).not.toContain('gravl-db-credentials');
    expect(env.PGHOST).toBe('postgres.gravl-staging.svc.cluster.local');
    expect(env.PGDATABASE).toBe('gravl');
  });

  it('rolls its pods when the application role\'s sealed password is rotated, and not for other secrets', () => {
    const source = sourceFor('staging', committedText('staging'));
    const sealed = source.sealedValues!.text!;
    const annotation = (text: string) => {
      const [env] = renderAll([{ ...source, sealedValues: { file: 'secrets/staging/sealed-values.yaml', text } }]).environments;
      return (object(env!, 'Deployment', 'backend').spec as any).template.metadata.annotations['gravl.app/database-password'];
    };
    const before = annotation(sealed);
    expect(before).toMatch(/^[0-9a-f]{16}$/);
    const ownerCiphertext = (parseDocument(sealed).getIn(['gravl-staging', 'gravl-db-owner', 'data', 'password', 'sealed']) as string);
    const rotated = edit(sealed, (doc) => doc.setIn(['gravl-staging', 'gravl-db-app', 'data', 'password', 'sealed'], ownerCiphertext));
    expect(annotation(rotated)).not.toBe(before);
    const other = edit(sealed, (doc) => doc.setIn(['gravl-staging', 'gravl-db-backup', 'data', 'password', 'sealed'], ownerCiphertext));
    expect(annotation(other)).toBe(before);
  });

  it('takes replicas from the file in staging, with no PodDisruptionBudget below two replicas', () => {
    for (const name of ['backend', 'frontend'] as const) {
      const replicas = committedValue('staging', [name, 'replicas']) as number;
      expect((object(staging, 'Deployment', name).spec as any).replicas).toBe(replicas);
      expect(objects(staging, 'PodDisruptionBudget', name)).toHaveLength(replicas >= 2 ? 1 : 0);
    }
    // Whatever the file says today, both sides of the rule.
    const [edited] = renderTexts({
      staging: edit(committedText('staging'), (doc) => {
        doc.setIn(['backend', 'replicas'], 1);
        doc.setIn(['frontend', 'replicas'], 2);
      }),
    });
    expect([(object(edited!, 'Deployment', 'backend').spec as any).replicas, objects(edited!, 'PodDisruptionBudget', 'backend').length, objects(edited!, 'PodDisruptionBudget', 'frontend').length]).toEqual([1, 0, 1]);
  });

  it('in production leaves replicas to an HPA of at least 2 and has a PodDisruptionBudget and spread over nodes', () => {
    const deployment = object(production, 'Deployment', 'backend');
    expect((deployment.spec as any).replicas).toBeUndefined();
    const hpa = object(production, 'HorizontalPodAutoscaler', 'backend');
    const autoscaling = committedValue('production', ['backend', 'autoscaling']) as { minReplicas: number; maxReplicas: number };
    expect(autoscaling.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec).toMatchObject({ minReplicas: autoscaling.minReplicas, maxReplicas: autoscaling.maxReplicas, scaleTargetRef: { kind: 'Deployment', name: 'backend' } });
    expect(object(production, 'PodDisruptionBudget', 'backend').spec).toMatchObject({ maxUnavailable: 1 });
    const spread = podSpecOf(deployment)!.topologySpreadConstraints;
    expect(spread).toContainEqual(expect.objectContaining({ topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'DoNotSchedule' }));
  });
});
