import { describe, expect, it } from 'vitest';
import { environment, object } from '../support/render';

describe('namespaces', () => {
  it.each([
    ['staging', 'gravl-staging'],
    ['production', 'gravl-prod'],
  ])('%s creates %s enforcing, auditing and warning on restricted, pinned to v1.28', (name, namespace) => {
    expect(object(environment(name), 'Namespace', namespace).metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
      'pod-security.kubernetes.io/enforce-version': 'v1.28',
      'pod-security.kubernetes.io/audit': 'restricted',
      'pod-security.kubernetes.io/audit-version': 'v1.28',
      'pod-security.kubernetes.io/warn': 'restricted',
      'pod-security.kubernetes.io/warn-version': 'v1.28',
    });
  });

  it('applies namespaces first', () => {
    expect(environment('staging').files[0]!.name).toBe('0000-namespaces.k8s.yaml');
  });
});
