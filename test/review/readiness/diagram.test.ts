/**
 * The Mermaid picture in READINESS.md: its edges are what the rendered NetworkPolicies allow, so a
 * reviewer sees a connection appear or vanish in the pull request.
 */
import { describe, expect, it } from 'vitest';
import { networkDiagram } from '../../../lib/review/readiness/diagram';
import { renderCommitted } from '../../support/render';

describe.each(renderCommitted().map((e) => [e.name, e] as const))('the %s network picture', (_name, env) => {
  const app = env.objects.find((o) => o.kind === 'Deployment' && o.metadata.name === 'backend')!.metadata.namespace!;
  const key = (namespace: string, name: string) => `${namespace}_${name}`.replace(/[^A-Za-z0-9]/g, '_');
  const edges = (text: string) => text.split('\n').filter((l) => l.includes('-->')).map((l) => l.trim());
  const diagram = networkDiagram(env.objects, env.manualObjects);

  it('is a Mermaid flowchart with a group per namespace that runs pods', () => {
    expect(diagram.split('\n')[0]).toBe('flowchart LR');
    for (const ns of [app, 'gravl-monitoring', 'gravl-node-agents']) expect(diagram).toContain(`subgraph ${key(ns, '').replace(/_$/, '')}["${ns}"]`);
  });

  it('draws the signed-off flows, on their ports', () => {
    const drawn = edges(diagram);
    for (const edge of [
      `edge_Gateway -->|3000| ${key(app, 'backend')}`,
      `edge_Gateway -->|8080| ${key(app, 'frontend')}`,
      `${key(app, 'backend')} -->|5432| ${key(app, 'postgres')}`,
      `${key(app, 'postgres_backup')} -->|5432| ${key(app, 'postgres')}`,
      `gravl_monitoring_prometheus -->|3001| ${key(app, 'backend')}`,
      'gravl_node_agents_alloy -->|3100| gravl_monitoring_loki',
      // Prometheus scrapes the edge's proxies; the load test may reach them in-cluster, on the
      // port Envoy Gateway's proxies listen on for 443.
      'gravl_monitoring_prometheus -->|19001| edge_Gateway',
      `${key(app, 'load_test')} -->|10443| edge_Gateway`,
    ]) {
      expect(drawn).toContain(edge);
    }
  });

  it('draws no connection the policies deny', () => {
    const drawn = edges(diagram);
    expect(drawn.some((e) => e.startsWith(`${key(app, 'frontend')} -->`) && e.endsWith(key(app, 'postgres')))).toBe(false);
    expect(drawn.some((e) => e.startsWith(`${key(app, 'postgres')} -->`) && e.endsWith('internet'))).toBe(false);
  });

  it('loses an edge when the policy that allowed it is removed', () => {
    const without = env.objects.filter((o) => !(o.kind === 'NetworkPolicy' && o.metadata.namespace === app && o.metadata.name === 'backend'));
    expect(without.length).toBe(env.objects.length - 1);
    const drawn = edges(networkDiagram(without, env.manualObjects));
    expect(drawn).not.toContain(`edge_Gateway -->|3000| ${key(app, 'backend')}`);
    expect(drawn).toContain(`edge_Gateway -->|8080| ${key(app, 'frontend')}`);
  });
});
