/** The Security component: secrets, NetworkPolicies, the deployer's Role and the issuers, before any workload. */
import { describe, expect, it } from 'vitest';
import { environment } from '../../support/render';
import { waves } from '../../support/waves';

describe.each(['staging', 'production'])('Security in %s', (name) => {
  const env = environment(name);

  it('applies the secrets, the NetworkPolicies, the deployer Role and the ClusterIssuers right after the namespaces, before any workload', () => {
    const files = Object.keys(waves(env)).filter((f) => !f.startsWith('manual/'));
    expect(files.slice(0, 5).map((f) => f.replace(/^\d{4}-|\.k8s\.yaml$/g, ''))).toEqual(['namespaces', 'secrets', 'network-policies', 'rbac', 'cert-manager']);
    const kinds = new Set(env.manifests.slice(0, 5).flatMap((m) => m.objects.map((o) => o.kind)));
    for (const workload of ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']) expect(kinds.has(workload), workload).toBe(false);
  });

  it('renders a policy for every workload the other components built: none is left without one', () => {
    const policies = new Set(env.objects.filter((o) => o.kind === 'NetworkPolicy').map((o) => `${o.metadata.namespace}/${o.metadata.name}`));
    const workloads = [...env.objects, ...env.manualObjects].filter((o) => ['Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'].includes(o.kind));
    expect(workloads.length).toBeGreaterThan(10);
    for (const w of workloads) {
      const name = w.kind === 'Job' && /^backend-migrate/.test(w.metadata.name) ? 'backend-migrate' : w.metadata.name;
      expect(policies.has(`${w.metadata.namespace}/${name}`), `${w.kind} ${w.metadata.name}`).toBe(true);
    }
  });
});
