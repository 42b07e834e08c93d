/**
 * The edge as rendered: the Gateway (with its HTTPRoutes) or the legacy Ingress that serves the
 * public host, and the pods that carry its traffic, read from the data-plane annotation each one
 * carries.
 */
import { isRecord } from '../../model/json';
import type { NetPod } from './network-policy';
import { DATA_PLANE_ANNOTATION, DATA_PLANE_PORTS, EDGE_SCRAPE, type KubeObject, parseDataPlane } from '../../contract';

/** The objects that take the host's traffic in: Gateways and Ingresses. */
export function edgeObjects(objects: readonly KubeObject[]): KubeObject[] {
  return objects.filter((o) => (o.kind === 'Gateway' && o.apiVersion.startsWith('gateway.networking.k8s.io/')) || o.kind === 'Ingress');
}

/**
 * One pod of each edge's data plane, as NetworkPolicies see it (its `http` and `https` ports,
 * DATA_PLANE_PORTS: Envoy Gateway's proxies listen on 10080 and 10443; and its metrics port), at
 * 10.244.0.5x: never an address `podsFromObjects` gives. Edges without the annotation have none.
 */
export function edgeDataPlanes(objects: readonly KubeObject[]): Array<{ readonly edge: KubeObject; readonly pod: NetPod }> {
  return edgeObjects(objects).flatMap((edge, i) => {
    const pods = parseDataPlane(edge.metadata.annotations?.[DATA_PLANE_ANNOTATION]);
    if (!pods) return [];
    const kind = edge.kind === 'Gateway' ? 'gateway' : 'ingress';
    const pod: NetPod = {
      kind: 'pod',
      name: `${edge.kind.toLowerCase()}-data-plane`,
      namespace: pods.namespace,
      labels: { ...pods.podLabels },
      ip: `10.244.0.${50 + i}`,
      ports: [
        { name: 'http', port: DATA_PLANE_PORTS[kind].http, protocol: 'TCP' },
        { name: 'https', port: DATA_PLANE_PORTS[kind].https, protocol: 'TCP' },
        // Where Prometheus scrapes it: the network picture shows that flow too.
        { name: 'metrics', port: EDGE_SCRAPE[kind].port, protocol: 'TCP' },
      ],
    };
    return [{ edge, pod }];
  });
}

/** Whether a rule of an HTTPRoute answers with a redirect to HTTPS. */
export function redirectsToHttps(rule: unknown): boolean {
  return list(record(rule).filters).map(record).some((f) => f.type === 'RequestRedirect' && record(f.requestRedirect).scheme === 'https');
}

/** The Strict-Transport-Security value a rule of an HTTPRoute sets or adds to its responses; undefined when it sends none. */
export function hstsHeader(rule: unknown): string | undefined {
  const headers = list(record(rule).filters).map(record).flatMap((f) => (f.type === 'ResponseHeaderModifier' ? [...list(record(f.responseHeaderModifier).set), ...list(record(f.responseHeaderModifier).add)] : []));
  const hsts = headers.map(record).find((h) => String(h.name).toLowerCase() === 'strict-transport-security');
  return hsts === undefined ? undefined : (hsts.value as string | undefined);
}

function record(value: unknown): Record<string, unknown> {
  return isRecord(value) ? value : {};
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
