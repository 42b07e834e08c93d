/**
 * The k6 load test of the sign-off: ConfigMap `load-test-script` and Job `load-test` running the
 * grafana/k6 image against the environment's host. It is rendered for manual use
 * (dist/<env>/manual/load-test.k8s.yaml, outside the kustomization): a sync never starts it.
 * Thresholds: p95 < 200 ms, p99 < 500 ms, and an error rate under 0.1% (`rate<0.001`; the seeds'
 * `rate<0.1` would have let 10% of requests fail).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';
import { BatchWorkload } from '../batch';
import type { Resources } from '../config/schema';
import { selectorLabels } from '../labels';
import { SIGN_OFF } from '../sign-off';
import type { NetworkPolicies } from '../network/network-policies';
import { internet, type ForeignPods } from '../network/peers';
import { resourceRequirements, scratchMounts, scratchVolumes } from '../pod';
import type { ServiceDeployment } from '../service-deployment';
import { PROJECT_ROOT } from '../project-root';

const SCRATCH = [{ name: 'tmp', mountPath: '/tmp' }];

/** The signed-off pass criteria, as k6 thresholds. */
export const LOAD_TEST_THRESHOLDS = {
  http_req_duration: [`p(95)<${SIGN_OFF.latencyP95Ms}`, `p(99)<${SIGN_OFF.latencyP99Ms}`],
  http_req_failed: [`rate<${SIGN_OFF.loadTestErrorRate}`],
  errors: [`rate<${SIGN_OFF.loadTestErrorRate}`],
} as const;

export interface LoadProfile {
  /** Virtual users in all (health 4, exercises 5, metrics 1 at 10). */
  readonly vus: number;
  /** How long, e.g. 5m. */
  readonly duration: string;
  /**
   * Whether the host's certificate is one k6 can verify. Let's Encrypt's staging certificates are
   * not: against them the test measures the service, not the trust chain.
   * @default true
   */
  readonly verifiableCertificate?: boolean;
}

/** k6 options: three scenarios sharing the virtual users, and the thresholds. */
export function loadTestOptions(profile: LoadProfile): Record<string, unknown> {
  const metricsVus = 1;
  const healthVus = Math.max(1, Math.floor((profile.vus - metricsVus) * 0.45));
  const exercisesVus = Math.max(1, profile.vus - metricsVus - healthVus);
  const scenario = (exec: string, vus: number) => ({ executor: 'constant-vus', exec, vus, duration: profile.duration });
  return {
    scenarios: { health: scenario('health', healthVus), exercises: scenario('exercises', exercisesVus), metrics: scenario('scrape', metricsVus) },
    thresholds: LOAD_TEST_THRESHOLDS,
    ...((profile.verifiableCertificate ?? true) ? {} : { insecureSkipTLSVerify: true }),
  };
}

/** The first line of the script: its options, as one line of JSON (readiness parses it back). */
export const OPTIONS_PREFIX = 'export const options = ';

/** The whole script: the generated options line, then the scenarios. */
export function loadTestScript(profile: LoadProfile): string {
  const body = fs.readFileSync(path.join(PROJECT_ROOT, 'lib', 'load-test', 'load-test.body.js'), 'utf8');
  return `${OPTIONS_PREFIX}${JSON.stringify(loadTestOptions(profile))};\n\n${body}`;
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
  /** The data planes of the edge: a cluster routes its own public address straight to them. */
  readonly edge: readonly ForeignPods[];
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
      activeDeadlineSeconds: 1800,
      containers: [
        {
          name: 'k6',
          image: props.image,
          args: ['run', '--no-color', '/scripts/load-test.js'],
          env: [
            { name: 'GRAVL_API_URL', value: `https://${props.host}` },
            { name: 'GRAVL_METRICS_URL', value: props.backend.url('metrics', '/metrics') },
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
    for (const dataPlane of props.edge) job.allowTo(dataPlane, 443);
    job.allowTo(props.backend, 'metrics');
  }
}
