/**
 * Evidence folders as the printed commands would write them on a cluster where everything went
 * right: built from the rendered objects themselves (the cluster echoes the applied spec and adds a
 * status). Trivy reports follow Trivy's documented JSON format (SchemaVersion 2: ArtifactName,
 * Metadata.RepoDigests, Results[].Vulnerabilities[] with Severity and FixedVersion). No cluster and
 * no scanner run here, so these files stand in for their output; each test says what it changes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseImage } from '../../lib/model/formats';
import { imagesOfOutput } from '../../lib/review/readiness/runtime';
import type { RenderedEnvironment } from '../../lib/render/render';
import { type KubeObject } from '../../lib/contract';

type Json = Record<string, any>;

/** The object as `kubectl get -o json` returns it once rolled out. */
export function rolledOut(o: KubeObject): Json {
  const copy = structuredClone(o) as Json;
  copy.metadata.generation = 2;
  const replicas = copy.spec?.replicas ?? 1;
  if (o.kind === 'DaemonSet') copy.status = { observedGeneration: 2, desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3, numberReady: 3 };
  else if (o.kind === 'StatefulSet') copy.status = { observedGeneration: 2, replicas, readyReplicas: replicas, updatedReplicas: replicas, currentRevision: `${o.metadata.name}-7c9`, updateRevision: `${o.metadata.name}-7c9` };
  else copy.status = { observedGeneration: 2, replicas, updatedReplicas: replicas, availableReplicas: replicas, readyReplicas: replicas };
  return copy;
}

/** A migration Job as `kubectl get job -o json` returns it once complete. */
export function completedJob(o: KubeObject): Json {
  const copy = structuredClone(o) as Json;
  copy.status = { succeeded: 1, conditions: [{ type: 'Complete', status: 'True', lastTransitionTime: '2026-11-30T10:00:00Z' }] };
  return copy;
}

/** A Trivy JSON report of an image, with the given vulnerabilities. */
export function trivyReport(image: string, vulnerabilities: Json[] = []): Json {
  const parsed = parseImage(image)!;
  return {
    SchemaVersion: 2,
    CreatedAt: '2026-11-30T10:00:00Z',
    ArtifactName: image,
    ArtifactType: 'container_image',
    Metadata: {
      OS: { Family: 'debian', Name: '12.7' },
      ImageID: 'sha256:0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0',
      RepoTags: parsed.tag ? [`${parsed.name}:${parsed.tag}`] : [],
      RepoDigests: parsed.digest ? [`${parsed.name}@${parsed.digest}`] : [],
    },
    Results: [{ Target: `${image} (debian 12.7)`, Class: 'os-pkgs', Type: 'debian', Vulnerabilities: vulnerabilities }],
  };
}

/** A vulnerability entry as Trivy writes it. */
export function vulnerability(id: string, severity: string, fixedVersion?: string): Json {
  return { VulnerabilityID: id, PkgName: 'openssl', InstalledVersion: '3.0.14-1~deb12u1', ...(fixedVersion ? { FixedVersion: fixedVersion } : {}), Status: fixedVersion ? 'fixed' : 'affected', Severity: severity, Title: 'test vulnerability' };
}

/** The k6 log of a run within the signed-off limits against the rendered host. */
export function k6Log(env: RenderedEnvironment): string {
  const job = env.manualObjects.find((o) => o.kind === 'Job' && o.metadata.name === 'load-test')!;
  const url = (job.spec as Json).template.spec.containers[0].env.find((e: Json) => e.name === 'GRAVL_API_URL').value;
  const release = (job.spec as Json).template.spec.containers[0].env.find((e: Json) => e.name === 'GRAVL_RELEASE').value;
  const summary = { metrics: { 'http_reqs{scope:public}': { values: { rate: 140 } }, 'http_req_duration{scope:public}': { values: { 'p(95)': 120, 'p(99)': 310 } }, http_req_failed: { values: { rate: 0.0002 } } }, gravl: { apiUrl: url, release } };
  return `running (5m00.0s), 00/10 VUs\n\nK6_SUMMARY_JSON ${JSON.stringify(summary)}\n`;
}

/** Writes a complete, matching evidence folder for a rendered environment into dir. */
export function writeEvidence(env: RenderedEnvironment, dir: string): void {
  fs.mkdirSync(path.join(dir, 'rollout'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'trivy'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'k6.log'), k6Log(env));
  for (const o of env.objects.filter((x) => ['Deployment', 'StatefulSet', 'DaemonSet'].includes(x.kind))) {
    fs.writeFileSync(path.join(dir, 'rollout', `${o.metadata.namespace}.${o.kind.toLowerCase()}.${o.metadata.name}.json`), JSON.stringify(rolledOut(o), null, 2));
  }
  const job = env.objects.find((o) => o.kind === 'Job' && o.metadata.name.startsWith('backend-migrate'))!;
  fs.writeFileSync(path.join(dir, 'migrations.json'), JSON.stringify(completedJob(job), null, 2));
  imagesOfOutput([...env.objects, ...env.manualObjects]).forEach((image, i) => {
    fs.writeFileSync(path.join(dir, 'trivy', `image-${i}.json`), JSON.stringify(trivyReport(image, [vulnerability('CVE-2026-0001', 'HIGH'), vulnerability('CVE-2026-0002', 'MEDIUM', '3.0.15-1~deb12u1')]), null, 2));
  });
}
