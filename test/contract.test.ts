/**
 * The contract between what renders and what reviews: the data-plane annotation is written by the
 * edge and read back by readiness, and objects are named the same way on both sides.
 */
import { describe, expect, it } from 'vitest';
import { formatDataPlane, objectId, parseDataPlane } from '../lib/contract';

describe('the data-plane annotation', () => {
  it('reads back what the edge writes, labels in key order', () => {
    const pods = { namespace: 'envoy-gateway-system', podLabels: { 'gateway.envoyproxy.io/owning-gateway-name': 'gravl', 'app.kubernetes.io/name': 'envoy' } };
    const text = formatDataPlane(pods);
    expect(text).toBe('envoy-gateway-system/app.kubernetes.io/name=envoy,gateway.envoyproxy.io/owning-gateway-name=gravl');
    expect(parseDataPlane(text)).toEqual(pods);
  });

  it('rejects an annotation without a namespace, or with a label that has no value', () => {
    for (const text of [undefined, '', 'app=envoy', 'Envoy/app=envoy', 'envoy/app', 'envoy/=x']) expect(parseDataPlane(text), String(text)).toBeUndefined();
  });
});

describe('objectId', () => {
  it('names a namespaced object with its namespace, a cluster-scoped one without', () => {
    expect(objectId({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'backend', namespace: 'gravl-staging' } })).toBe('Deployment gravl-staging/backend');
    expect(objectId({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'gravl-staging' } })).toBe('Namespace gravl-staging');
  });
});
