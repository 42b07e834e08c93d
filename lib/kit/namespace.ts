/**
 * A namespace with its Pod Security Standard: enforced, audited and warned at one level, each
 * pinned to a Kubernetes version so that a cluster upgrade cannot tighten or loosen it silently.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

export type PodSecurityLevel = 'restricted' | 'baseline' | 'privileged';

/**
 * Argo CD never prunes or deletes what carries this: deleting a namespace deletes every claim in it,
 * the database's and its backups' included, so neither a rename nor a deleted Application may.
 */
export const KEEP_ANNOTATION = 'argocd.argoproj.io/sync-options';
export const KEEP = 'Prune=false,Delete=false';

export interface NamespaceProps {
  readonly name: string;
  /** @default restricted */
  readonly podSecurity?: PodSecurityLevel;
  /** Version the Pod Security levels are pinned to, e.g. v1.28. */
  readonly podSecurityVersion: string;
  /** More labels. @default none */
  readonly labels?: Readonly<Record<string, string>>;
  /** Annotations. @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

export class Namespace extends Construct {
  readonly name: string;
  readonly podSecurity: PodSecurityLevel;
  readonly resource: k8s.KubeNamespace;

  constructor(scope: Construct, id: string, props: NamespaceProps) {
    super(scope, id);
    this.name = props.name;
    this.podSecurity = props.podSecurity ?? 'restricted';
    const labels: Record<string, string> = { ...props.labels };
    for (const mode of ['enforce', 'audit', 'warn']) {
      labels[`pod-security.kubernetes.io/${mode}`] = this.podSecurity;
      labels[`pod-security.kubernetes.io/${mode}-version`] = props.podSecurityVersion;
    }
    this.resource = new k8s.KubeNamespace(this, 'namespace', {
      metadata: { name: props.name, labels, annotations: { ...props.annotations, [KEEP_ANNOTATION]: KEEP } },
    });
  }
}
