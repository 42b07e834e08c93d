/**
 * The Gravl web frontend: static files served by an unprivileged nginx on 8080 (user 101), behind
 * Service `frontend` on port 80. nginx-unprivileged keeps its pid and temp files under /tmp, the
 * only writable path.
 */
import { Construct } from 'constructs';
import type { ScaledWorkloadSpec } from '../../model/schema';
import type { NetworkPolicies } from '../../kit/network/network-policies';
import { internet } from '../../kit/network/peers';
import { ServiceDeployment } from '../../kit/service-deployment';

export interface FrontendProps {
  readonly namespace: string;
  readonly network: NetworkPolicies;
  readonly workload: ScaledWorkloadSpec;
  /** Autoscale between the workload's autoscaling bounds. @default false */
  readonly autoscaling?: boolean;
}

export class Frontend extends ServiceDeployment {
  constructor(scope: Construct, id: string, props: FrontendProps) {
    super(scope, id, {
      namespace: props.namespace,
      network: props.network,
      name: 'frontend',
      component: 'web',
      workload: props.workload,
      ...(props.autoscaling !== undefined ? { autoscaling: props.autoscaling } : {}),
      user: 101,
      ports: [{ name: 'http', containerPort: 8080, servicePort: 80 }],
      healthCheck: { path: '/', port: 'http' },
    });
    // Static assets are served from the CDN; the pods fetch from it over HTTPS.
    this.allowTo(internet('the CDN over HTTPS'), 443);
  }
}
