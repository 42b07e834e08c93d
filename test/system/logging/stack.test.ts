/**
 * Loki and Alloy as rendered into each environment. No loki or alloy binary can be installed here,
 * so the rendered configs are checked by parsing them (YAML, and Alloy's syntax with the parser in
 * test/support/alloy-syntax.ts) and asserting their structure.
 */
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { committedText, edit, environment, object, podSpecOf, problemsOf } from '../../support/render';
import { attribute, blockNamed, literal, parseAlloy } from '../../support/alloy-syntax';

describe('Loki', () => {
  it('keeps staging logs on an emptyDir, as signed off', () => {
    const sts = object(environment('staging'), 'StatefulSet', 'loki');
    expect((sts.spec as any).volumeClaimTemplates).toBeUndefined();
    expect(podSpecOf(sts)!.volumes).toContainEqual({ name: 'data', emptyDir: { sizeLimit: '2Gi' } });
  });

  it('keeps production logs on a claim of a StorageClass the cluster has', () => {
    const sts = object(environment('production'), 'StatefulSet', 'loki');
    expect((sts.spec as any).volumeClaimTemplates[0].spec).toMatchObject({ storageClassName: 'gp3', resources: { requests: { storage: '20Gi' } } });
    expect(podSpecOf(sts)!.volumes.some((v: any) => v.name === 'data')).toBe(false);
  });

  it('rejects a Loki claim on a StorageClass the cluster does not have (the seeds\' CrashLoopBackOff)', () => {
    const text = edit(committedText('production'), (doc) => doc.setIn(['logging', 'loki', 'storage', 'storageClassName'], 'standard'));
    expect(problemsOf({ production: text })).toEqual([expect.stringContaining('logging.loki.storage.storageClassName: found StorageClass "standard"')]);
  });

  it.each(['staging', 'production'])('renders a 3.x single-binary config for %s: tsdb, schema v13, filesystem, retention from the file', (name) => {
    const config = parse((object(environment(name), 'ConfigMap', 'loki-config').data as any)['loki.yaml']);
    const file = parse(committedText(name));
    expect(config.schema_config.configs).toEqual([expect.objectContaining({ store: 'tsdb', schema: 'v13', object_store: 'filesystem' })]);
    expect(config.limits_config.retention_period).toBe(file.logging.loki.retention);
    expect(config.compactor.retention_enabled).toBe(true);
    expect(config.common.path_prefix).toBe('/loki');
    const mounts = podSpecOf(object(environment(name), 'StatefulSet', 'loki'))!.containers[0].volumeMounts;
    expect(mounts).toContainEqual({ name: 'data', mountPath: '/loki' });
  });
});

describe('Alloy', () => {
  it.each(['staging', 'production'])('ships every pod log of its node from %s to the loki Service', (name) => {
    const env = environment(name);
    const daemonSet = object(env, 'DaemonSet', 'alloy');
    expect(daemonSet.metadata.namespace).toBe('gravl-node-agents');
    const pod = podSpecOf(daemonSet)!;
    expect(pod.volumes).toContainEqual({ name: 'pod-logs', hostPath: { path: '/var/log/pods', type: 'Directory' } });
    expect(pod.containers[0].volumeMounts).toContainEqual({ name: 'pod-logs', mountPath: '/var/log/pods', readOnly: true });
    expect(pod.containers[0].securityContext).toMatchObject({ allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] }, readOnlyRootFilesystem: true });
    const config = parseAlloy((object(env, 'ConfigMap', 'alloy-config').data as any)['config.alloy']);
    const endpoint = blockNamed(blockNamed(config, 'loki.write', 'default').body, 'endpoint');
    expect(literal(attribute(endpoint, 'url'))).toBe('http://loki.gravl-monitoring.svc.cluster.local:3100/loki/api/v1/push');
    expect(pod.containers[0].env).toContainEqual({ name: 'NODE_NAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } });
  });

  it('may read pods through the API and nothing else', () => {
    expect((object(environment('staging'), 'ClusterRole', 'gravl-alloy') as any).rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
  });
});
