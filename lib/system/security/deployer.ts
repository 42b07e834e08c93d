/**
 * Role `gravl-deployer`: what the GitOps deployer needs to apply and watch the app namespace, and
 * nothing more. No wildcards; Secrets read-only (they arrive as SealedSecrets, which the deployer
 * does manage); pods are watched, never exec'd, attached or port-forwarded; no RBAC objects (a
 * deployer that can write Roles can grant itself anything); volume claims are never deleted. Bound
 * to its own ServiceAccount.
 */
import { Construct } from 'constructs';
import { k8s } from 'cdk8s-plus-28';

const MANAGE = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const READ = ['get', 'list', 'watch'];
// Volume claims hold the database and its backups: the deployer creates them, never deletes them.
const KEEP = ['get', 'list', 'watch', 'create', 'update', 'patch'];

/** The deployer's rules: every kind the generator renders into an app namespace, and read access to what it watches. */
export const DEPLOYER_RULES: readonly k8s.PolicyRule[] = [
  { apiGroups: [''], resources: ['configmaps', 'services', 'serviceaccounts'], verbs: MANAGE },
  { apiGroups: [''], resources: ['persistentvolumeclaims'], verbs: KEEP },
  { apiGroups: [''], resources: ['pods', 'pods/log', 'events', 'endpoints'], verbs: READ },
  { apiGroups: ['apps'], resources: ['deployments', 'statefulsets'], verbs: MANAGE },
  { apiGroups: ['apps'], resources: ['replicasets'], verbs: READ },
  { apiGroups: ['batch'], resources: ['jobs', 'cronjobs'], verbs: MANAGE },
  { apiGroups: ['autoscaling'], resources: ['horizontalpodautoscalers'], verbs: MANAGE },
  { apiGroups: ['policy'], resources: ['poddisruptionbudgets'], verbs: MANAGE },
  { apiGroups: ['networking.k8s.io'], resources: ['ingresses', 'networkpolicies'], verbs: MANAGE },
  { apiGroups: ['gateway.networking.k8s.io'], resources: ['gateways', 'httproutes'], verbs: MANAGE },
  { apiGroups: ['bitnami.com'], resources: ['sealedsecrets'], verbs: MANAGE },
  { apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: MANAGE },
  { apiGroups: ['cert-manager.io'], resources: ['certificates'], verbs: READ },
];

export interface DeployerProps {
  readonly namespace: string;
}

export class Deployer extends Construct {
  readonly role: k8s.KubeRole;
  readonly serviceAccount: k8s.KubeServiceAccount;
  readonly binding: k8s.KubeRoleBinding;

  constructor(scope: Construct, id: string, props: DeployerProps) {
    super(scope, id);
    const name = 'gravl-deployer';
    const metadata = { name, namespace: props.namespace, labels: { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'deployer' } };
    // The deployer authenticates with a short-lived token it requests, never a mounted one.
    this.serviceAccount = new k8s.KubeServiceAccount(this, 'service-account', { metadata, automountServiceAccountToken: false });
    this.role = new k8s.KubeRole(this, 'role', { metadata, rules: DEPLOYER_RULES.map((r) => ({ ...r })) });
    this.binding = new k8s.KubeRoleBinding(this, 'binding', {
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: this.role.name },
      subjects: [{ kind: 'ServiceAccount', name: this.serviceAccount.name, namespace: props.namespace }],
    });
  }
}
