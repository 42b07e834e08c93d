/** The Logging component: Loki in its own wave, Alloy with the node agents, Grafana admitted as a reader. */
import { describe, expect, it } from 'vitest';
import { environment, objects } from '../../support/render';
import { fileOf } from '../../support/waves';

describe.each(['staging', 'production'])('Logging in %s', (name) => {
  const env = environment(name);

  it('applies Loki before the monitoring that queries it, and Alloy with the node agents', () => {
    expect(fileOf(env, 'StatefulSet', 'loki')).toMatch(/^\d{4}-logging\.k8s\.yaml$/);
    expect(fileOf(env, 'DaemonSet', 'alloy')).toMatch(/^\d{4}-node-agents\.k8s\.yaml$/);
    const wave = (kind: string, n: string) => env.manifests.findIndex((m) => m.name === fileOf(env, kind, n));
    expect(wave('StatefulSet', 'loki')).toBeLessThan(wave('Deployment', 'grafana'));
  });

  it('admits its reader Grafana and the collector Alloy to Loki, and Prometheus on its metrics port', () => {
    const policy = objects(env, 'NetworkPolicy', 'loki')[0]!;
    const from = ((policy.spec as any).ingress as any[]).map((r) => r.from[0].podSelector.matchLabels['app.kubernetes.io/name']).sort();
    expect(from).toEqual(['alloy', 'grafana', 'prometheus']);
  });
});
