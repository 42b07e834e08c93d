/**
 * Each blocking criterion, broken in a copy of the rendered output: readiness must say NO-GO and
 * name that criterion. The output starts as it is once a person has done what READINESS.md asks
 * (the controller's certificate, real credentials: test/support/ready.ts), which is READY.
 */
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import type { ReadinessInput } from '../../../lib/review/readiness/criteria';
import { readiness } from '../../../lib/review/readiness/report';
import { PINNED_DIGEST, readyEnvironment as environment, readySource, STAND_IN_DIGEST } from '../../support/ready';
import { committedText, committedValue, edit } from '../../support/render';
import { renderAll } from '../../../lib/render/synth';
import { type KubeObject, type ManifestFile } from '../../../lib/contract';

type Json = Record<string, any>;

/** The backend image staging renders: the release a load-test run must name. */
/** The release staging's file names today: a load test counts only for the release it ran against. */
const STAGING_RELEASE = String(committedValue('staging', ['backend', 'image']));

/** A deep copy of an environment's files, open to mutation. */
function copy(name: string): { files: Array<{ name: string; objects: Json[] }>; manualFiles: Array<{ name: string; objects: Json[] }> } {
  const env = environment(name);
  const clone = (files: readonly ManifestFile[]) => files.map((f) => ({ name: f.name, objects: structuredClone(f.objects) as unknown as Json[] }));
  return { files: clone(env.manifests), manualFiles: clone(env.manualManifests) };
}

function judge(files: ReturnType<typeof copy>, name = 'staging', extra: Partial<ReadinessInput> = {}) {
  return readiness({ name, location: `dist/${name}`, files: files.files as unknown as ManifestFile[], manualFiles: files.manualFiles as unknown as ManifestFile[], ...extra });
}

function find(files: ReturnType<typeof copy>, kind: string, name: string, namespace?: string): Json {
  const found = [...files.files, ...files.manualFiles].flatMap((f) => f.objects).find((o) => o.kind === kind && o.metadata.name === name && (namespace === undefined || o.metadata.namespace === namespace));
  if (!found) throw new Error(`no ${kind} ${name}`);
  return found;
}

function remove(files: ReturnType<typeof copy>, predicate: (o: Json) => boolean): void {
  for (const f of [...files.files, ...files.manualFiles]) f.objects = f.objects.filter((o) => !predicate(o));
}

/** The statuses of a verdict, by criterion id. */
function statuses(r: ReturnType<typeof judge>): Record<string, string> {
  return Object.fromEntries(r.results.map((c) => [c.id, c.status]));
}

/** Asserts NO-GO because of `id` (and of `also`, the criteria the same break rightly fails too), naming the cause. */
function expectFails(r: ReturnType<typeof judge>, id: string, evidence: RegExp, also: string[] = []): void {
  expect(r.decision).toBe('NO-GO');
  expect(r.results.filter((c) => c.status === 'FAIL').map((c) => c.id).sort()).toEqual([id, ...also].sort());
  expect(r.results.find((c) => c.id === id)!.evidence.join('\n')).toMatch(evidence);
}

describe('readiness', () => {
  it.each(['staging', 'production'])('says READY for the %s output with a fetched certificate and real credentials, with only runtime checks left', (name) => {
    const r = judge(copy(name), name, { now: new Date('2026-12-01T00:00:00Z') });
    expect(r.decision).toBe('READY');
    expect(statuses(r)).toEqual({
      tls: 'PASS', secrets: 'PASS', sealing: 'PASS', credentials: 'PASS', 'load-test': 'RUNTIME', alertmanager: 'PASS', backup: 'PASS', 'offsite-backup': 'PASS', 'db-credentials': 'PASS', 'db-roles': 'PASS', network: 'PASS',
      rbac: 'PASS', pods: 'PASS', 'pods-healthy': 'RUNTIME', migrations: 'PASS', 'migrations-applied': 'RUNTIME', 'image-scan': 'RUNTIME', storage: 'PASS', kustomization: 'PASS',
      'meta-monitoring': 'PASS', 'edge-errors': 'PASS', 'graceful-shutdown': 'PASS', scheduling: 'PASS', labels: 'PASS',
    });
    for (const c of r.results.filter((x) => x.status === 'RUNTIME')) expect(c.command).toMatch(/kubectl|trivy image/);
  });

  it('fails TLS when the issuer annotation is stripped', () => {
    const files = copy('staging');
    delete find(files, 'Gateway', 'gravl').metadata.annotations['cert-manager.io/cluster-issuer'];
    expectFails(judge(files), 'tls', /listener https: certificate gravl-tls is issued by nothing/);
  });

  it('fails TLS when a listener terminates no TLS, and when the CA issuer\'s secret is produced by nothing', () => {
    const files = copy('staging');
    delete find(files, 'Gateway', 'gravl').spec.listeners[1].tls;
    expectFails(judge(files), 'tls', /listener https \(staging.gravl.app\) terminates no TLS/);
    const noCa = copy('staging');
    remove(noCa, (o) => o.kind === 'Certificate');
    // The CA secret is then read by the issuer and produced by nothing: secrets fails as well.
    expectFails(judge(noCa), 'tls', /internal-ca-issuer: its CA secret gravl-internal-ca is produced by nothing/, ['secrets']);
  });

  it('fails TLS when the Gateway has no HTTPS listener for a host it answers on HTTP', () => {
    const files = copy('staging');
    const gateway = find(files, 'Gateway', 'gravl');
    gateway.spec.listeners = gateway.spec.listeners.filter((l: Json) => l.protocol === 'HTTP');
    expectFails(judge(files), 'tls', /Gateway gravl-staging\/gravl: no HTTPS listener: nothing is served over TLS[\s\S]*listener http answers staging\.gravl\.app on plain HTTP, with no HTTPS listener for it/);
  });

  it('fails TLS when plain HTTP is served instead of redirected', () => {
    const files = copy('staging');
    find(files, 'HTTPRoute', 'gravl-https-redirect').spec.rules = [{ backendRefs: [{ kind: 'Service', name: 'frontend', port: 80 }] }];
    expectFails(judge(files), 'tls', /HTTPRoute gravl-staging\/gravl-https-redirect: serves plain HTTP on listener http instead of redirecting to HTTPS/);
    const none = copy('staging');
    remove(none, (o) => o.kind === 'HTTPRoute' && o.metadata.name === 'gravl-https-redirect');
    expectFails(judge(none), 'tls', /listener http \(staging.gravl.app\) has no route redirecting HTTP to HTTPS/);
  });

  it('fails TLS in production without a year of HSTS on every route, and accepts staging without it', () => {
    const files = copy('production');
    for (const rule of find(files, 'HTTPRoute', 'gravl').spec.rules) rule.filters[0].responseHeaderModifier.set[0].value = 'max-age=300';
    expectFails(judge(files, 'production'), 'tls', /Strict-Transport-Security max-age=300.*: max-age under 31536000 in production/);
    const none = copy('production');
    delete find(none, 'HTTPRoute', 'gravl').spec.rules[0].filters;
    expectFails(judge(none, 'production'), 'tls', /gravl\.app is served without Strict-Transport-Security on every route/);
    expect(judge(copy('staging')).results.find((c) => c.id === 'tls')!.evidence.join('\n')).toMatch(/sends no Strict-Transport-Security, as the environment decides/);
  });

  it('fails TLS for production served by the retired ingress-nginx, naming the migration; staging only warns', () => {
    const gatewayToIngress = (name: string, files: ReturnType<typeof copy>) => {
      const namespace = find(files, 'Gateway', 'gravl').metadata.namespace;
      remove(files, (o) => o.kind === 'Gateway' || o.kind === 'HTTPRoute');
      files.files[9]!.objects.push({
        apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'gravl', namespace, annotations: { 'cert-manager.io/cluster-issuer': name === 'production' ? 'letsencrypt-prod' : 'letsencrypt-staging' } },
        spec: { ingressClassName: 'nginx', tls: [{ hosts: ['h.gravl.app'], secretName: 'gravl-tls' }], rules: [{ host: 'h.gravl.app' }] },
      });
      return files;
    };
    const prod = judge(gatewayToIngress('production', copy('production')), 'production');
    expect(prod.decision).toBe('NO-GO');
    expect(prod.results.find((c) => c.id === 'tls')!.evidence.join('\n')).toMatch(/served by ingress-nginx \(class nginx\), retired in March 2026 .*move the edge to Gateway API \(edge\.kind: gateway/);
    const staging = judge(gatewayToIngress('staging', copy('staging')));
    const tls = staging.results.find((c) => c.id === 'tls')!;
    expect(tls.status).toBe('PASS');
    expect(tls.evidence.join('\n')).toMatch(/warning: Ingress gravl-staging\/gravl: served by ingress-nginx/);
  });

  it('fails secrets when a plaintext Secret is added', () => {
    const files = copy('staging');
    files.files[1]!.objects.push({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 'gravl-db-credentials', namespace: 'gravl-staging' }, data: { password: 'Z3JhdmxfcGFzc3dvcmQ=' } });
    expectFails(judge(files), 'secrets', /Secret gravl-staging\/gravl-db-credentials: a Secret with data in plain text/);
  });

  it('fails secrets and database credentials when the credentials are sealed nowhere', () => {
    const files = copy('staging');
    remove(files, (o) => o.kind === 'SealedSecret' && o.metadata.name === 'gravl-db-credentials');
    const r = judge(files);
    expect(r.decision).toBe('NO-GO');
    expect(r.results.filter((c) => c.status === 'FAIL').map((c) => c.id).sort()).toEqual(['db-credentials', 'secrets']);
  });

  it('fails the load test when its error threshold is the seeds\' 10%', () => {
    const files = copy('staging');
    const script = find(files, 'ConfigMap', 'load-test-script');
    script.data['load-test.js'] = script.data['load-test.js'].replace('rate<0.001', 'rate<0.1');
    expectFails(judge(files), 'load-test', /no threshold http_req_failed rate<0.001/);
  });

  it('judges the load test from a real run: PASS within the limits, FAIL with the p95 over 200 ms, or 100 requests a second or fewer achieved', () => {
    const release = STAGING_RELEASE;
    const summary = (p95: number, failed: number, apiUrl = 'https://staging.gravl.app', rate = 119.6, ranRelease = release) => ({
      metrics: { 'http_req_duration{scope:public}': { values: { 'p(95)': p95, 'p(99)': 20 } }, 'http_reqs{scope:public}': { values: { rate } }, http_req_failed: { values: { rate: failed } } },
      gravl: { apiUrl, release: ranRelease },
    });
    expectFails(judge(copy('staging'), 'staging', { k6Summary: summary(6.98, 0, 'https://staging.gravl.app', 20.4) }), 'load-test', /achieved rate 20.4 requests\/s against the public host is not more than 100/);
    const unscoped = { metrics: { http_req_duration: { values: { 'p(95)': 6.98, 'p(99)': 20 } }, http_reqs: { values: { rate: 140 } }, http_req_failed: { values: { rate: 0 } } }, gravl: { apiUrl: 'https://staging.gravl.app', release } };
    expectFails(judge(copy('staging'), 'staging', { k6Summary: unscoped }), 'load-test', /p95 latency: missing from the summary[\s\S]*achieved rate \(http_reqs\{scope:public\}\): missing/);
    const pass = judge(copy('staging'), 'staging', { k6Summary: summary(6.98, 0) });
    expect(pass.results.find((c) => c.id === 'load-test')!.status).toBe('PASS');
    expectFails(judge(copy('staging'), 'staging', { k6Summary: summary(250, 0) }), 'load-test', /p95 latency 250 ms is not under 200 ms/);
    expectFails(judge(copy('staging'), 'staging', { k6Summary: summary(6.98, 0.002) }), 'load-test', /error rate 0.002 is not under 0.001/);
    expectFails(judge(copy('staging'), 'staging', { k6Summary: summary(6.98, 0, 'https://gravl.app') }), 'load-test', /a run against https:\/\/gravl.app, not https:\/\/staging.gravl.app/);
    // A run of another release of the same host does not count.
    expectFails(judge(copy('staging'), 'staging', { k6Summary: summary(6.98, 0, 'https://staging.gravl.app', 119.6, 'registry.gravl.app/gravl/backend:0.0.1') }), 'load-test', /a run of release registry.gravl.app\/gravl\/backend:0.0.1, not the rendered .*: it does not count/);
  });

  it('fails the load test when the public traffic is paced by waiting users, arrives at 100 requests a second or fewer, or its summary would not hold p(99)', () => {
    const options = (files: ReturnType<typeof copy>) => {
      const script = find(files, 'ConfigMap', 'load-test-script');
      const [first, ...rest] = (script.data['load-test.js'] as string).split('\n');
      const parsed = JSON.parse(first!.slice('export const options = '.length).replace(/;$/, ''));
      return { parsed, write: () => (script.data['load-test.js'] = [`export const options = ${JSON.stringify(parsed)};`, ...rest].join('\n')) };
    };
    const paced = copy('staging');
    const p = options(paced);
    p.parsed.scenarios.public = { executor: 'constant-vus', vus: 10, duration: '5m', exec: 'traffic', tags: { scope: 'public' } };
    p.write();
    expectFails(judge(paced), 'load-test', /no public scenario at an arrival rate/);
    const slow = copy('staging');
    const s = options(slow);
    s.parsed.scenarios.public.rate = 100;
    s.write();
    expectFails(judge(slow), 'load-test', /peaks at 100 requests a second, not more than the signed-off 100/);
    // k6's default summary stops at p(95): a script that does not ask for p(99) never shows it.
    const stock = copy('staging');
    const t = options(stock);
    delete t.parsed.summaryTrendStats;
    t.write();
    expectFails(judge(stock), 'load-test', /summaryTrendStats null lacks p\(95\) and p\(99\): k6's summary of a real run would not hold the latency judged/);
  });

  it('fails the production load test at a constant rate: it must ramp for the HPA to scale', () => {
    const files = copy('production');
    const script = find(files, 'ConfigMap', 'load-test-script');
    const [first, ...rest] = (script.data['load-test.js'] as string).split('\n');
    const parsed = JSON.parse(first!.slice('export const options = '.length).replace(/;$/, ''));
    parsed.scenarios.public = { executor: 'constant-arrival-rate', rate: 120, timeUnit: '1s', duration: '5m', preAllocatedVUs: 300, maxVUs: 300, exec: 'traffic', tags: { scope: 'public' } };
    script.data['load-test.js'] = [`export const options = ${JSON.stringify(parsed)};`, ...rest].join('\n');
    expectFails(judge(files, 'production'), 'load-test', /a constant rate in production: ramp it \(loadTest.peakRate\)/);
  });

  it('fails Alertmanager when the Slack webhook URL is written inline', () => {
    const files = copy('staging');
    const configMap = find(files, 'ConfigMap', 'alertmanager-config');
    const config = parse(configMap.data['alertmanager.yml']);
    for (const r of config.receivers) for (const s of r.slack_configs ?? []) { delete s.api_url_file; s.api_url = 'https://hooks.slack.com/services/T0/B0/x'; }
    configMap.data['alertmanager.yml'] = stringify(config);
    expectFails(judge(files), 'alertmanager', /Slack webhook URL written inline/);
  });

  it('fails the backup criterion when the backup CronJob is dropped, or may overlap', () => {
    const files = copy('staging');
    remove(files, (o) => o.kind === 'CronJob' && o.metadata.name === 'postgres-backup');
    // Its flow to the database goes with it, which the network criterion requires.
    expectFails(judge(files), 'backup', /no CronJob postgres-backup/, ['network']);
    const overlapping = copy('staging');
    find(overlapping, 'CronJob', 'postgres-backup').spec.concurrencyPolicy = 'Allow';
    expectFails(judge(overlapping), 'backup', /concurrencyPolicy Allow, expected Forbid/);
  });

  it('fails database credentials last rotated more than 90 days before the day judged', () => {
    const r = judge(copy('staging'), 'staging', { now: new Date('2027-06-01T00:00:00Z') });
    // Every sealed value is then overdue, so the secrets criterion fails as well.
    expectFails(r, 'db-credentials', /key password last rotated 2026-11-22, 191 days ago \(due 2027-02-20\): rotate it as docs\/database-roles\.md, "Passwords and rotation", says/, ['secrets']);
    // The superuser's name is never due (the server reads it only when it creates the database),
    // and its password is rotated in the database first, as the runbook says, not just sealed anew.
    const judged = (id: string) => r.results.find((c) => c.id === id)!.evidence.join('\n');
    expect(judged('db-credentials')).not.toMatch(/key username/);
    const current = judge(copy('staging'), 'staging', { now: new Date('2026-12-01T00:00:00Z') }).results.find((c) => c.id === 'db-credentials')!;
    expect(current.evidence).toContain("SealedSecret gravl-staging/gravl-db-credentials: key username sealed; the superuser's name, which is not rotated");
    expect(judged('secrets')).not.toMatch(/gravl-db-credentials: key username/);
    expect(judged('secrets')).toContain('SealedSecret gravl-staging/gravl-db-credentials: key password last rotated 2026-11-22, more than 90 days ago: rotate it as docs/database-roles.md, "Passwords and rotation", says');
    expect(judged('secrets')).toContain('SealedSecret gravl-staging/gravl-db-app: key password last rotated 2026-11-22, more than 90 days ago: seal a new value');
  });

  it('fails the network criterion without the default deny, and without DNS egress', () => {
    const files = copy('staging');
    remove(files, (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'default-deny' && o.metadata.namespace === 'gravl-staging');
    expectFails(judge(files), 'network', /namespace gravl-staging: no default deny/);
    const noDns = copy('staging');
    remove(noDns, (o) => o.kind === 'NetworkPolicy' && o.metadata.name === 'allow-dns-egress' && o.metadata.namespace === 'gravl-staging');
    expectFails(judge(noDns), 'network', /no DNS egress to CoreDNS \(UDP and TCP 53\) on a stock cluster for: gravl-staging\/postgres/);
  });

  it('fails the network criterion when DNS egress selects kube-system by the name label stock clusters lack', () => {
    const files = copy('staging');
    const dns = find(files, 'NetworkPolicy', 'allow-dns-egress', 'gravl-staging');
    dns.spec.egress[0].to[0].namespaceSelector = { matchLabels: { name: 'kube-system' } };
    expectFails(judge(files), 'network', /no DNS egress to CoreDNS/);
  });

  it('fails the network criterion when the database is opened to every pod', () => {
    const files = copy('staging');
    find(files, 'NetworkPolicy', 'postgres', 'gravl-staging').spec.ingress.push({ ports: [{ port: 5432, protocol: 'TCP' }] });
    expectFails(judge(files), 'network', /stranger in default -> postgres:5432: allowed, expected denied/);
  });

  it('fails RBAC on a wildcard or a cluster-admin binding', () => {
    const files = copy('staging');
    find(files, 'Role', 'gravl-deployer').rules.push({ apiGroups: [''], resources: ['*'], verbs: ['get'] });
    expectFails(judge(files), 'rbac', /Role gravl-staging\/gravl-deployer: a wildcard/);
    const admin = copy('staging');
    find(admin, 'RoleBinding', 'gravl-deployer').roleRef = { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' };
    expectFails(judge(admin), 'rbac', /binds cluster-admin/);
  });

  it('fails the pods criterion when limits are removed, or a probe', () => {
    const files = copy('staging');
    delete find(files, 'Deployment', 'backend').spec.template.spec.containers[0].resources.limits;
    expectFails(judge(files), 'pods', /Deployment gravl-staging\/backend container backend: no limits.cpu/);
    const noProbe = copy('staging');
    delete find(noProbe, 'StatefulSet', 'postgres').spec.template.spec.containers[0].livenessProbe;
    expectFails(judge(noProbe), 'pods', /StatefulSet gravl-staging\/postgres container postgres: no livenessProbe/);
  });

  it('fails the pods criterion in production with one backend replica and no PodDisruptionBudget', () => {
    const files = copy('production');
    find(files, 'HorizontalPodAutoscaler', 'backend').spec.minReplicas = 1;
    remove(files, (o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'backend');
    // Without its budget and without a written decision, scheduling rightly fails as well.
    expectFails(judge(files, 'production'), 'pods', /Deployment gravl-prod\/backend: 1 replica\(s\) in production[\s\S]*no PodDisruptionBudget/, ['scheduling']);
  });

  it('counts an autoscaler without minReplicas as 1 pod in production, as the API defaults it', () => {
    const files = copy('production');
    delete find(files, 'HorizontalPodAutoscaler', 'backend').spec.minReplicas;
    expectFails(judge(files, 'production'), 'pods', /Deployment gravl-prod\/backend: 1 replica\(s\) in production/);
  });

  it('fails the migrations criterion when the migration Job is applied after the backend', () => {
    const files = copy('staging');
    const migrations = files.files.findIndex((f) => f.name.endsWith('-migrations.k8s.yaml'));
    const [moved] = files.files.splice(migrations, 1);
    files.files.push(moved!);
    expectFails(judge(files), 'migrations', /is applied in .*migrations\.k8s\.yaml, not before Deployment gravl-staging\/backend/);
  });

  it('fails storage when a claim asks for a StorageClass the cluster does not have', () => {
    const files = copy('staging');
    find(files, 'PersistentVolumeClaim', 'postgres-backups').spec.storageClassName = 'standard';
    expectFails(judge(files), 'storage', /PersistentVolumeClaim gravl-staging\/postgres-backups: StorageClass standard, which the cluster does not have \(local-path\)/);
  });

  it('keeps the committed verdict on objects it does not judge', () => {
    const files = copy('staging');
    find(files, 'Deployment', 'frontend').metadata.labels['team'] = 'web';
    expect(judge(files).decision).toBe('READY');
    const objects: KubeObject[] = files.files.flatMap((f) => f.objects as unknown as KubeObject[]);
    expect(objects.length).toBe(environment('staging').objects.length);
  });

  it('fails RBAC on a wildcard sub-resource such as pods/*, which includes exec', () => {
    const files = copy('staging');
    find(files, 'Role', 'gravl-deployer').rules.push({ apiGroups: [''], resources: ['pods/*'], verbs: ['create'] });
    expectFails(judge(files), 'rbac', /a wildcard in .*pods\/\*/);
  });

  it('judges the ClusterIssuers\' secrets in the namespace the environment installs cert-manager in (tls.certManagerNamespace)', () => {
    const text = edit(committedText('staging').replaceAll(STAND_IN_DIGEST, PINNED_DIGEST), (doc) => doc.setIn(['tls', 'certManagerNamespace'], 'certs'));
    const env = renderAll([readySource('staging', text)]).environments[0]!;
    const clone = (files: readonly ManifestFile[]) => files.map((f) => ({ name: f.name, objects: structuredClone(f.objects) as unknown as Json[] }));
    const files = { files: clone(env.manifests), manualFiles: clone(env.manualManifests) };
    expect(find(files, 'Certificate', 'gravl-internal-ca').metadata.namespace).toBe('certs');
    const r = judge(files);
    expect(r.decision).toBe('READY');
    expect(r.results.find((c) => c.id === 'tls')!.evidence).toContain('ClusterIssuer internal-ca-issuer: CA secret gravl-internal-ca produced by Certificate certs/gravl-internal-ca');
    // Produced in a namespace the output creates for itself, the CA is where cert-manager never reads it.
    find(files, 'Certificate', 'gravl-internal-ca').metadata.namespace = 'gravl-staging';
    expectFails(judge(files), 'tls', /ClusterIssuer internal-ca-issuer: its CA secret gravl-internal-ca is produced by nothing/, ['secrets']);
  });

  it('fails RBAC on a Role that may escalate, bind or impersonate, named as the diff names it', () => {
    const files = copy('staging');
    find(files, 'Role', 'gravl-deployer').rules.push({ apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: ['escalate', 'bind'] });
    expectFails(judge(files), 'rbac', /Role gravl-staging\/gravl-deployer: grants escalate roles, bind roles/);
  });

  it('fails the pods criterion when the app namespace is relabelled to a looser Pod Security level', () => {
    const files = copy('production');
    const ns = find(files, 'Namespace', 'gravl-prod');
    for (const mode of ['enforce', 'audit', 'warn']) ns.metadata.labels[`pod-security.kubernetes.io/${mode}`] = 'privileged';
    expectFails(judge(files, 'production'), 'pods', /Namespace gravl-prod: enforces privileged, not restricted, and runs .*Deployment backend/);
  });

  it('fails the network criterion when a policy opens a port to every namespace, or egress to the metadata address', () => {
    const files = copy('production');
    files.files[2]!.objects.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'debug', namespace: 'gravl-prod', labels: structuredClone(find(files, 'NetworkPolicy', 'backend').metadata.labels) },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'backend' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ namespaceSelector: {} }], ports: [{ port: 3001, protocol: 'TCP' }] }] },
    });
    expectFails(judge(files, 'production'), 'network', /a pod in namespace default may reach gravl-prod\/backend:3001/);
    const egress = copy('production');
    egress.files[2]!.objects.push({
      apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'anywhere', namespace: 'gravl-prod', labels: structuredClone(find(egress, 'NetworkPolicy', 'frontend').metadata.labels) },
      spec: { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'frontend' } }, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }] }] },
    });
    expectFails(judge(egress, 'production'), 'network', /may reach the cloud metadata address 169.254.169.254: gravl-prod\/frontend/);
  });

  it('fails the kustomization criterion when kustomization.yaml patches what the files say', () => {
    expectFails(judge(copy('staging'), 'staging', { kustomizationKeys: ['apiVersion', 'kind', 'resources', 'patches'] }), 'kustomization', /kustomization.yaml has patches/);
  });

  it('fails secrets when any sealed value is older than 90 days, not only the database\'s', () => {
    const files = copy('staging');
    find(files, 'SealedSecret', 'grafana-admin').metadata.annotations['rotated.gravl.app/admin-password'] = '2020-01-01';
    expectFails(judge(files, 'staging', { now: new Date('2026-12-01T00:00:00Z') }), 'secrets', /SealedSecret gravl-monitoring\/grafana-admin: key admin-password last rotated 2020-01-01/);
  });

  it('verifies pod health with a rollout of every long-running workload, never with finished Job pods', () => {
    const command = judge(copy('staging')).results.find((c) => c.id === 'pods-healthy')!.command!;
    expect(command).toContain('gravl-staging/deployment/backend');
    expect(command).toContain('gravl-monitoring/statefulset/prometheus');
    expect(command).toContain('gravl-node-agents/daemonset/alloy');
    expect(command).toContain('rollout status');
    expect(command).not.toContain('job');
  });

  it('fails the off-site criterion in production without an upload, and passes staging without one', () => {
    const files = copy('production');
    const backup = find(files, 'CronJob', 'postgres-backup');
    const pod = backup.spec.jobTemplate.spec.template.spec;
    pod.containers = pod.initContainers;
    delete pod.initContainers;
    expectFails(judge(files, 'production'), 'offsite-backup', /copies no dump off-site .*a production cluster lost with its storage takes every backup with it/);
    expect(statuses(judge(copy('staging')))['offsite-backup']).toBe('PASS');
  });

  it('fails the off-site criterion when the drill restores only the volume copy, or the bucket keeps another retention', () => {
    const files = copy('production');
    const drill = find(files, 'CronJob', 'postgres-restore-drill').spec.jobTemplate.spec.template.spec;
    delete drill.initContainers;
    expectFails(judge(files, 'production'), 'offsite-backup', /restores the volume copy only, never the off-site copy/);
    const retain = copy('production');
    const upload = find(retain, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0];
    upload.env.find((e: Json) => e.name === 'BACKUP_RETAIN').value = '3';
    expectFails(judge(retain, 'production'), 'offsite-backup', /the bucket keeps BACKUP_RETAIN=3 dumps, the volume 14: expected the same retention/);
  });

  it('fails the database roles criterion when a workload connects as the superuser', () => {
    const files = copy('staging');
    const backend = find(files, 'Deployment', 'backend').spec.template.spec.containers[0];
    backend.env = backend.env.map((e: Json) =>
      e.name === 'PGUSER' ? { name: 'PGUSER', valueFrom: { secretKeyRef: { name: 'gravl-db-credentials', key: 'username' } } }
        : e.name === 'PGPASSWORD' ? { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: 'gravl-db-credentials', key: 'password' } } } : e);
    expectFails(judge(files), 'db-roles', /Deployment gravl-staging\/backend: container backend reads the superuser's Secret gravl-db-credentials[\s\S]*connects as secret gravl-db-credentials\/username, not one of the least-privilege roles/);
    const literal = copy('staging');
    find(literal, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0].env.find((e: Json) => e.name === 'PGUSER').value = 'postgres';
    expectFails(judge(literal), 'db-roles', /container backup connects as postgres, not one of the least-privilege roles/);
  });

  it('fails the database roles criterion without the role Job', () => {
    const files = copy('staging');
    remove(files, (o) => o.kind === 'Job' && o.metadata.name === 'postgres-roles');
    expectFails(judge(files), 'db-roles', /no role Job \(component database-roles\)/);
  });

  it('fails the off-site criterion while the upload runs on a stand-in image digest, naming it', () => {
    const files = JSON.parse(JSON.stringify(copy('production')).replaceAll(PINNED_DIGEST, STAND_IN_DIGEST)) as ReturnType<typeof copy>;
    expectFails(judge(files, 'production'), 'offsite-backup', /container upload runs amazon\/aws-cli:[^ ]+@sha256:0{64}, a stand-in digest/);
  });
});
