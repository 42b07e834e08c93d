import { describe, expect, it } from 'vitest';
import { environment, object, podSpecOf } from '../../support/render';

describe('frontend', () => {
  const staging = environment('staging');

  it('serves port 80 on Service frontend from nginx listening on 8080', () => {
    const service = object(staging, 'Service', 'frontend');
    expect((service.spec as any).ports).toEqual([{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
    const [container] = podSpecOf(object(staging, 'Deployment', 'frontend'))!.containers;
    expect(container.ports).toEqual([{ name: 'http', containerPort: 8080, protocol: 'TCP' }]);
  });

  it('runs as the unprivileged nginx user with only /tmp writable', () => {
    const pod = podSpecOf(object(staging, 'Deployment', 'frontend'))!;
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101 });
    expect(pod.containers[0].securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.containers[0].volumeMounts).toEqual([{ name: 'tmp', mountPath: '/tmp' }]);
  });

  it('probes the web root through the named port', () => {
    const [container] = podSpecOf(object(staging, 'Deployment', 'frontend'))!.containers;
    for (const probe of ['startupProbe', 'readinessProbe', 'livenessProbe']) expect(container[probe].httpGet).toEqual({ path: '/', port: 'http' });
  });

  it('runs two or more replicas in production behind a PodDisruptionBudget', () => {
    const production = environment('production');
    expect(object(production, 'HorizontalPodAutoscaler', 'frontend').spec).toMatchObject({ minReplicas: 2 });
    expect(object(production, 'PodDisruptionBudget', 'frontend')).toBeDefined();
  });
});
