/**
 * The edge as rendered: the Gateway (with its HTTPRoutes) or the legacy Ingress that serves the
 * public host, and the pods that carry its traffic, read from the data-plane annotation each one
 * carries.
 */
import type { NetPod } from './network-policy';
import { DATA_PLANE_ANNOTATION, type KubeObject, parseDataPlane } from '../../contract';

/** The objects that take the host's traffic in: Gateways and Ingresses. */
export function edgeObjects(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => (o.kind === 'Gateway' && o.apiVersion.startsWith('gateway.networking.k8s.io/')) || o.kind === 'Ingress');
}

/**
 * One pod of each edge's data plane, as NetworkPolicies see it (80 `http` and 443 `https`), at
 * 10.244.0.5x: never an address `podsFromObjects` gives. Edges without the annotation have none.
 */
export function edgeDataPlanes(objects: readonly KubeObject[]): Array<{ readonly edge: KubeObject; readonly pod: NetPod }> {
  return edgeObjects(objects).flatMap((edge, i) => {
    const pods = parseDataPlane(edge.metadata.annotations?.[DATA_PLANE_ANNOTATION]);
    if (!pods) return [];
    const pod: NetPod = {
      kind: 'pod',
      name: `${edge.kind.toLowerCase()}-data-plane`,
      namespace: pods.namespace,
      labels: { ...pods.podLabels },
      ip: `10.244.0.${50 + i}`,
      ports: [
        { name: 'http', port: 80, protocol: 'TCP' },
        { name: 'https', port: 443, protocol: 'TCP' },
      ],
    };
    return [{ edge, pod }];
  });
}
