/**
 * The k6 load test of the sign-off: ConfigMap `load-test-script` and Job `load-test` running the
 * grafana/k6 image against the environment's host. It is rendered for manual use
 * (dist/<env>/manual/load-test.k8s.yaml, outside the kustomization): a sync never starts it.
 * Thresholds: p95 < 200 ms, p99 < 500 ms, and an error rate under 0.1% (`rate<0.001`; the seeds'
 * `rate<0.1` would have let 10% of requests fail), and more than 100 requests a second achieved.
 *
 * The public traffic arrives at a fixed rate (an arrival-rate executor: k6 starts requests on
 * schedule whatever the latency, so the rate is what the host is asked to serve, unlike virtual
 * users that wait between requests). Latency and throughput are judged on the public requests only
 * (tag `scope: public`); the in-cluster scrape of the backend's metrics runs beside them, tagged
 * `scope: internal`, and counts only toward the failure rate.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { BatchWorkload } from '../../kit/batch';
import { parseDuration } from '../../model/formats';
import type { EnvironmentFile, Resources } from '../../model/schema';
import { selectorLabels } from '../../kit/labels';
import { SIGN_OFF } from '../../model/sign-off';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { internet } from '../../kit/network/peers';
import { resourceRequirements, scratchMounts, scratchVolumes } from '../../kit/pod';
import type { ServiceDeployment } from '../../kit/service-deployment';
import { PROJECT_ROOT } from '../../kit/project-root';
import { DATA_PLANE_PORTS, LOAD_TEST_OPTIONS_PREFIX, PUBLIC_DURATION_METRIC, PUBLIC_REQUESTS_METRIC } from '../../contract';
import type { EdgeServer } from '../backend';

const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

/** The signed-off pass criteria, as k6 thresholds. */
export const LOAD_TEST_THRESHOLDS = {
  [PUBLIC_DURATION_METRIC]: [`p(95)<${SIGN_OFF.latencyP95Ms}`, `p(99)<${SIGN_OFF.latencyP99Ms}`],
  http_req_failed: [`rate<${SIGN_OFF.loadTestErrorRate}`],
  errors: [`rate<${SIGN_OFF.loadTestErrorRate}`],
  [PUBLIC_REQUESTS_METRIC]: [`rate>${SIGN_OFF.throughputRps}`],
} as const;

/** The warm-up (and cool-down) of a ramping test: from nothing to the rate, so that caches and pools fill. */
export const RAMP_EDGE = '1m';

export interface LoadProfile {
  /** The most virtual users k6 may run to hold the arrival rate (it pre-allocates them all). */
  readonly vus: number;
  /** How long the rate is held (and, with a peak, the ramp to it and the hold at it), e.g. 5m. */
  readonly duration: string;
  /** Requests a second started against the public host. */
  readonly rate: number;
  /**
   * Where set, the test ramps on from `rate` to this many requests a second and holds it, so that
   * the HPA scales out under a load it has to follow. @default a constant rate
   */
  readonly peakRate?: number;
  /**
   * Whether the host's certificate is one k6 can verify. Let's Encrypt's staging certificates are
   * not: against them the test measures the service, not the trust chain.
   * @default true
   */
  readonly verifiableCertificate?: boolean;
}

/**
 * The profile of an environment's load test. Only Let's Encrypt's production issuer gives the host
 * a certificate k6 trusts.
 */
export function loadProfile(spec: EnvironmentFile['loadTest'], clusterIssuer: string): LoadProfile {
  return {
    vus: spec.vus,
    duration: spec.duration,
    rate: spec.rate,
    ...(spec.peakRate !== undefined ? { peakRate: spec.peakRate } : {}),
    verifiableCertificate: clusterIssuer === 'letsencrypt-prod',
  };
}

/** Minutes in a duration such as 5m, 90s or 1h30m. */
function minutes(duration: string): number {
  const ms = parseDuration(duration);
  if (ms === undefined) throw new Error(`loadTest.duration: found ${JSON.stringify(duration)}, expected a duration such as 5m`);
  return ms / 60_000;
}

/** How long the whole run takes, in minutes (the metrics scenario runs as long). */
export function loadTestMinutes(profile: LoadProfile): number {
  const hold = minutes(profile.duration);
  return profile.peakRate === undefined ? hold : 2 * minutes(RAMP_EDGE) + 3 * hold;
}

/** The public traffic: a constant arrival rate, or warm-up, hold, ramp to the peak, hold, cool-down. */
function publicScenario(profile: LoadProfile): Record<string, unknown> {
  const common = { exec: 'traffic', timeUnit: '1s', preAllocatedVUs: profile.vus, maxVUs: profile.vus, tags: { scope: 'public' } };
  if (profile.peakRate === undefined) return { executor: 'constant-arrival-rate', rate: profile.rate, duration: profile.duration, ...common };
  return {
    executor: 'ramping-arrival-rate',
    startRate: 0,
    stages: [
      { target: profile.rate, duration: RAMP_EDGE },
      { target: profile.rate, duration: profile.duration },
      { target: profile.peakRate, duration: profile.duration },
      { target: profile.peakRate, duration: profile.duration },
      { target: 0, duration: RAMP_EDGE },
    ],
    ...common,
  };
}

/** k6 options: the public traffic at its arrival rate, the internal metrics scrape beside it, and the thresholds. */
export function loadTestOptions(profile: LoadProfile): Record<string, unknown> {
  const total = `${Math.ceil(loadTestMinutes(profile))}m`;
  return {
    scenarios: {
      public: publicScenario(profile),
      metrics: { executor: 'constant-vus', exec: 'scrape', vus: 1, duration: total, tags: { scope: 'internal' } },
    },
    thresholds: LOAD_TEST_THRESHOLDS,
    // The statistics k6 writes into the summary handleSummary prints: its default stops at p(95),
    // and readiness judges p(99) from that summary.
    summaryTrendStats: ['avg', 'min', 'med', 'max', 'p(90)', 'p(95)', 'p(99)'],
    // Only the status is checked: bodies are not kept, which keeps hundreds of users in little memory.
    discardResponseBodies: true,
    ...((profile.verifiableCertificate ?? true) ? {} : { insecureSkipTLSVerify: true }),
  };
}

/** The whole script: the generated options line, then the scenarios. */
export function loadTestScript(profile: LoadProfile): string {
  const body = fs.readFileSync(path.join(PROJECT_ROOT, 'lib', 'system', 'load-test', 'load-test.body.js'), 'utf8');
  return `${LOAD_TEST_OPTIONS_PREFIX}${JSON.stringify(loadTestOptions(profile))};\n\n${body}`;
}

export interface LoadTestProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly image: string;
  readonly resources: Resources;
  readonly profile: LoadProfile;
  /** The public host under test. */
  readonly host: string;
  /** The backend, whose metrics endpoint the metrics scenario scrapes in-cluster. */
  readonly backend: ServiceDeployment;
  /** The backend image the environment runs: the release a run measures, named in its summary. */
  readonly release: string;
  /** The data planes of the edge, by implementation: a cluster routes its own public address straight to their pods. */
  readonly edge: readonly EdgeServer[];
}

/** The `k6` user of the grafana/k6 image. */
const USER = 12345;

export class LoadTest extends Construct {
  constructor(scope: Construct, id: string, props: LoadTestProps) {
    super(scope, id);
    const script = new k8s.KubeConfigMap(this, 'script', {
      metadata: { name: 'load-test-script', namespace: props.namespace, labels: selectorLabels('load-test') },
      data: { 'load-test.js': loadTestScript(props.profile) },
    });
    const job = new BatchWorkload(this, 'job', {
      namespace: props.namespace,
      name: 'load-test',
      component: 'load-test',
      network: props.network,
      user: USER,
      backoffLimit: 0,
      // The whole run, and a quarter of an hour to start, stop and write the summary.
      activeDeadlineSeconds: Math.ceil(loadTestMinutes(props.profile)) * 60 + 900,
      containers: [
        {
          name: 'k6',
          image: props.image,
          args: ['run', '--no-color', '/scripts/load-test.js'],
          env: [
            { name: 'GRAVL_API_URL', value: `https://${props.host}` },
            { name: 'GRAVL_METRICS_URL', value: props.backend.url('metrics', '/metrics') },
            { name: 'GRAVL_RELEASE', value: props.release },
          ],
          resources: resourceRequirements(props.resources),
          volumeMounts: [
            { name: 'scripts', mountPath: '/scripts', readOnly: true },
            ...scratchMounts(SCRATCH),
          ],
        },
      ],
      volumes: [
        { name: 'scripts', configMap: { name: script.name } },
        ...scratchVolumes(SCRATCH),
      ],
    });
    // Through the public entry point, as users arrive (a cluster may route its own load balancer's
    // address straight to the edge's pods), and to the metrics port inside the cluster.
    job.allowTo(internet(`https://${props.host}`), 443);
    for (const server of props.edge) job.allowTo(server.pods, DATA_PLANE_PORTS[server.kind].https);
    job.allowTo(props.backend, 'metrics');
  }
}
