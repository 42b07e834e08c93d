/** The Monitoring component: Prometheus, Alertmanager, Grafana, kube-state-metrics in one wave; node-exporter with the node agents. */
import { describe, expect, it } from 'vitest';
import { environment } from '../../support/render';
import { fileOf } from '../../support/waves';

describe.each(['staging', 'production'])('Monitoring in %s', (name) => {
  const env = environment(name);

  it('applies its workloads together in the monitoring wave, and node-exporter with the node agents', () => {
    const wave = fileOf(env, 'StatefulSet', 'prometheus');
    expect(wave).toMatch(/^\d{4}-monitoring\.k8s\.yaml$/);
    for (const [kind, n] of [['StatefulSet', 'alertmanager'], ['Deployment', 'grafana'], ['Deployment', 'kube-state-metrics']] as const) {
      expect(fileOf(env, kind, n), `${kind} ${n}`).toBe(wave);
    }
    expect(fileOf(env, 'DaemonSet', 'node-exporter')).toMatch(/^\d{4}-node-agents\.k8s\.yaml$/);
  });

  it('points Grafana at the Loki Service the Logging component renders', () => {
    const datasources = env.objects.find((o) => o.kind === 'ConfigMap' && o.metadata.name === 'grafana-datasources')!;
    const loki = env.objects.find((o) => o.kind === 'Service' && o.metadata.name === 'loki')!;
    const port = (loki.spec as any).ports.find((p: any) => p.name === 'http').port;
    expect((datasources.data as Record<string, string>)['datasources.yaml']).toContain(`http://loki.${loki.metadata.namespace}.svc.cluster.local:${port}`);
  });
});
