import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules, type AlertRule } from '../../../lib/system/monitoring/alert-rules';
import { ProblemsError } from '../../../lib/model/problems';
import { thrownBy } from '../../support/thrown';
import { removeDir, runTool, scratchDir, writeYaml } from '../../support/prom-tools';

const rules = alertRules({ namespace: 'gravl-staging' });
const all: AlertRule[] = rules.groups.flatMap((g) => [...g.rules]);
const byName = (name: string) => {
  const found = all.find((r) => r.alert === name);
  if (!found) throw new Error(`no alert ${name}`);
  return found;
};

describe('alert rules file', () => {
  let dir: string;
  beforeAll(() => {
    dir = scratchDir('alert-rules');
  });
  afterAll(() => removeDir(dir));

  it('passes promtool check rules', async () => {
    const run = await runTool('promtool', ['check', 'rules', writeYaml(dir, 'gravl-alerts.yaml', rules)], dir);
    expect(run.code, run.output).toBe(0);
    expect(run.output).toContain(`SUCCESS: ${all.length} rules found`);
  });

  it('fails promtool check rules when an expression is broken, so the check above is real', async () => {
    const broken = structuredClone(rules) as any;
    broken.groups[0].rules[1].expr = 'sum by (namespace (rate(http_requests_total[5m]))';
    const run = await runTool('promtool', ['check', 'rules', writeYaml(dir, 'broken.yaml', broken)], dir);
    expect(run.code).not.toBe(0);
    expect(run.output).toMatch(/HighErrorRate|parse error/);
  });

  it('defines at least 12 alert rules in at least 3 groups, with unique names', () => {
    expect(all.length).toBeGreaterThanOrEqual(12);
    expect(rules.groups.length).toBeGreaterThanOrEqual(3);
    expect(new Set(all.map((r) => r.alert)).size).toBe(all.length);
    expect(rules.groups.map((g) => g.name)).toEqual(['gravl-application', 'gravl-database', 'gravl-platform', 'gravl-meta-monitoring']);
  });

  it('gives every rule a severity (critical or warning; none for the Watchdog alone), a summary, a description and a one-line runbook', () => {
    for (const rule of all) {
      expect(rule.alert === 'Watchdog' ? ['none'] : ['critical', 'warning'], rule.alert).toContain(rule.labels.severity);
      expect(rule.annotations.summary.trim(), `${rule.alert} summary`).not.toBe('');
      expect(rule.annotations.description.trim(), `${rule.alert} description`).not.toBe('');
      expect(rule.annotations.runbook.trim(), `${rule.alert} runbook`).not.toBe('');
      expect(rule.annotations.runbook, `${rule.alert} runbook is one line`).not.toMatch(/\n/);
      expect(rule.for, `${rule.alert} waits before firing`).toMatch(/^\d+[mh]$/);
    }
  });

  it('covers what the sign-off and the seed incidents name', () => {
    expect(all.map((r) => r.alert).sort()).toEqual(
      [
        'BackendDown',
        'CertificateExpiringSoon',
        'ContainerCpuNearLimit',
        'ContainerCpuThrottled',
        'ContainerMemoryNearLimit',
        'CrashLoopBackOff',
        'HighErrorRate',
        'HighRequestLatency',
        'PersistentVolumeFillingUp',
        'PostgresBackupFailed',
        'PostgresBackupStale',
        'PostgresDown',
        'PostgresRestoreDrillFailed',
        'PostgresTooManyConnections',
        'Watchdog',
        'TargetDown',
        'KubeStateMetricsAbsent',
        'PostgresBackupMetricsAbsent',
        'CertManagerMetricsAbsent',
        'AlertmanagerNotificationsFailing',
        'PrometheusRuleEvaluationFailures',
        'PrometheusNotConnectedToAlertmanager',
        'PrometheusErrorSendingAlerts',
        'PrometheusConfigReloadFailed',
      ].sort(),
    );
  });

  it('adds EdgeHighErrorRate only where the host and the edge are given, above the 0.1% of the sign-off', () => {
    expect(all.map((r) => r.alert)).not.toContain('EdgeHighErrorRate');
    const withEdge = alertRules({ namespace: 'gravl-prod', host: 'gravl.app', edges: ['gateway', 'ingress'] }).groups.flatMap((g) => g.rules);
    const rule = withEdge.find((r) => r.alert === 'EdgeHighErrorRate')!;
    expect(rule.expr).toContain('job="edge-gateway"');
    expect(rule.expr).toContain('job="edge-ingress", host="gravl.app"');
    // Each edge judged above 0.1%, and only where it carries at least 5 requests a second.
    expect(rule.expr.match(/\) > 0\.001\nand on \(job\)/g)).toHaveLength(2);
    expect(rule.expr.match(/\) > 5\n\)/g)).toHaveLength(2);
    expect(rule.labels.severity).toBe('critical');
  });

  it('watches every scrape job with TargetDown, the edge jobs included', () => {
    const expr = alertRules({ namespace: 'gravl-prod', host: 'gravl.app', edges: ['gateway'] }).groups.flatMap((g) => g.rules).find((r) => r.alert === 'TargetDown')!.expr;
    for (const job of ['prometheus', 'alertmanager', 'kube-state-metrics', 'node-exporter', 'kubelet', 'cadvisor', 'grafana', 'loki', 'cert-manager', 'alloy', 'edge-gateway']) {
      expect(expr, job).toContain(`absent(up{job="${job}"})`);
    }
    // The application's jobs with its namespace, which the inhibitions of BackendDown and PostgresDown match on.
    for (const job of ['backend', 'postgres-exporter']) expect(expr, job).toContain(`absent(up{job="${job}", namespace="gravl-prod"})`);
  });

  it('rejects an edge kind it does not know, naming the field, as a programming error', () => {
    expect(() => alertRules({ namespace: 'gravl-prod', edges: ['traefik' as never] })).toThrow(/edges\[0\]: found .*traefik.*expected one of gateway, ingress/);
    expect(thrownBy(() => alertRules({ namespace: 'gravl-prod', edges: ['traefik' as never] }))).not.toBeInstanceOf(ProblemsError);
  });

  it('fires HighErrorRate above a 1% 5xx share over 5 minutes, as signed off', () => {
    const rule = byName('HighErrorRate');
    expect(rule.expr).toMatch(/status=~"5\.\."\}\[5m\]/);
    expect(rule.expr).toMatch(/> 0\.01$/);
    expect(rule.labels.severity).toBe('critical');
  });

  it('measures p95 latency from the millisecond histogram against 200 ms', () => {
    const rule = byName('HighRequestLatency');
    expect(rule.expr).toMatch(/^histogram_quantile\(0\.95, .*request_duration_ms_bucket\{.*\[5m\]\)\)\) > 200$/);
  });

  it('watches memory as the working set against the limit from kube-state-metrics, and throttling from cAdvisor', () => {
    expect(byName('ContainerMemoryNearLimit').expr).toMatch(/container_memory_working_set_bytes[\s\S]*kube_pod_container_resource_limits\{[^}]*resource="memory"/);
    expect(byName('ContainerCpuNearLimit').expr).toMatch(/container_cpu_usage_seconds_total[\s\S]*kube_pod_container_resource_limits\{[^}]*resource="cpu"/);
    expect(byName('ContainerCpuThrottled').expr).toMatch(/container_cpu_cfs_throttled_periods_total[\s\S]*container_cpu_cfs_periods_total/);
  });

  it('measures backup age from kube_cronjob_status_last_successful_time of CronJob postgres-backup, against 26 hours', () => {
    const expr = byName('PostgresBackupStale').expr;
    expect(expr).toContain('kube_cronjob_status_last_successful_time{job="kube-state-metrics", namespace="gravl-staging", cronjob="postgres-backup"}');
    expect(expr).toContain('> 26 * 3600');
  });

  it('scopes app alerts to the app namespace of the options, and platform alerts to the Gravl namespaces', () => {
    const prod = alertRules({ namespace: 'gravl-prod' }).groups.flatMap((g) => [...g.rules]);
    expect(JSON.stringify(prod)).not.toContain('gravl-staging');
    for (const rule of prod.filter((r) => /^(Backend|High|Postgres)/.test(r.alert))) {
      expect(rule.expr, rule.alert).toContain('namespace="gravl-prod"');
    }
    for (const name of ['ContainerCpuNearLimit', 'ContainerMemoryNearLimit', 'ContainerCpuThrottled', 'CrashLoopBackOff', 'PersistentVolumeFillingUp']) {
      expect(prod.find((r) => r.alert === name)!.expr, name).toContain('namespace=~"gravl-prod|gravl-monitoring|gravl-node-agents"');
    }
  });

  it('takes thresholds from the options', () => {
    const custom = alertRules({ namespace: 'gravl-staging', errorRateThreshold: 0.001, latencyP95Ms: 150, backupMaxAgeHours: 30, certificateExpiryDays: 21 });
    const find = (name: string) => custom.groups.flatMap((g) => [...g.rules]).find((r) => r.alert === name)!;
    expect(find('HighErrorRate').expr).toMatch(/> 0\.001$/);
    expect(find('HighErrorRate').annotations.summary).toContain('0.1%');
    expect(find('HighRequestLatency').expr).toMatch(/> 150$/);
    expect(find('PostgresBackupStale').expr).toContain('> 30 * 3600');
    expect(find('CertificateExpiringSoon').expr).toContain('< 21 * 24 * 3600');
  });

  it('rejects out-of-range options, naming every one', () => {
    let message = '';
    try {
      alertRules({ namespace: 'gravl-staging', errorRateThreshold: 1, latencyP95Ms: 0, backupMaxAgeHours: -1, volumeFreeRatio: Number.NaN });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('alertRules: errorRateThreshold: found 1, expected a ratio between 0 and 1');
    expect(message).toContain('alertRules: latencyP95Ms: found 0, expected a positive number');
    expect(message).toContain('alertRules: backupMaxAgeHours: found -1, expected a positive number');
    expect(message).toContain('alertRules: volumeFreeRatio: found NaN');
  });
});

describe('the restore drill alert', () => {
  it('names the copy the drill proves: the off-site copy in production, the volume copy in staging', async () => {
    const { environment, object } = await import('../../support/render');
    const { parse } = await import('yaml');
    const drillAlert = (name: string) => {
      const config = object(environment(name), 'ConfigMap', 'prometheus-rules') as any;
      const text = Object.values(config.data as Record<string, string>).join('\n');
      return (parse(text).groups as any[]).flatMap((g) => g.rules).find((r: any) => r.alert === 'PostgresRestoreDrillFailed');
    };
    expect(drillAlert('production').annotations.summary).toBe('The last restore drill of the off-site copy s3://gravl-backups-prod/postgres failed in {{ $labels.namespace }}');
    expect(drillAlert('production').annotations.description).toContain('could not restore the newest dump of the off-site copy s3://gravl-backups-prod/postgres');
    expect(drillAlert('staging').annotations.summary).toBe('The last restore drill of the volume copy (claim postgres-backups) failed in {{ $labels.namespace }}');
  });
});
