import { describe, expect, it } from 'vitest';
import { validateObject, unknownFields, type FieldSchema } from '../support/kube-schema';
import { committedText, edit, environment, object, objects, renderCommitted, renderTexts } from '../support/render';
import { type KubeObject } from '../../lib/contract';

/** A deep, writable copy of a rendered object, to break in one place. */
function copy(o: KubeObject): Record<string, any> {
  return structuredClone(o) as Record<string, any>;
}

function problemsOf(o: Record<string, any>): string[] {
  return validateObject(o as KubeObject);
}

describe('every rendered object matches the API schema of its kind', () => {
  const environments = renderCommitted().map((e) => [e.name, e] as const);

  it.each(environments)('%s: every object a sync applies is valid and has no unknown field', (_name, env) => {
    expect(env.objects.length).toBeGreaterThan(0);
    expect(env.objects.flatMap(validateObject)).toEqual([]);
  });

  it.each(environments)('%s: every manual object is valid and has no unknown field', (_name, env) => {
    expect(env.manualObjects.flatMap(validateObject)).toEqual([]);
  });

  it('validates the ExternalSecrets an environment taking secrets from a store renders', () => {
    const text = edit(committedText('production'), (doc) =>
      doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' }, refreshInterval: '1h', keyPrefix: 'gravl/production' } })),
    );
    const [env] = renderTexts({ production: text });
    expect(objects(env!, 'ExternalSecret').length).toBeGreaterThan(0);
    expect([...env!.objects, ...env!.manualObjects].flatMap(validateObject)).toEqual([]);
  });
});

describe('the schema check', () => {
  const staging = environment('staging');

  it('fails a Service whose port says targetPrt, naming the path and the definition', () => {
    const service = copy(object(staging, 'Service', 'backend'));
    const port = service.spec.ports[0];
    port.targetPrt = port.targetPort;
    delete port.targetPort;
    expect(problemsOf(service)).toEqual(['Service gravl-staging/backend: spec.ports[0].targetPrt is not a field of io.k8s.api.core.v1.ServicePort']);
  });

  it('fails an unknown field in a Deployment container', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    deployment.spec.template.spec.containers[0].resource = deployment.spec.template.spec.containers[0].resources;
    expect(problemsOf(deployment)).toEqual([
      'Deployment gravl-staging/backend: spec.template.spec.containers[0].resource is not a field of io.k8s.api.core.v1.Container',
    ]);
  });

  it('fails an unknown field in a SealedSecret spec', () => {
    const sealed = copy(object(staging, 'SealedSecret', 'gravl-db-credentials'));
    sealed.spec.encryptedDate = sealed.spec.encryptedData;
    expect(problemsOf(sealed)).toEqual(['SealedSecret gravl-staging/gravl-db-credentials: spec.encryptedDate is not a field of bitnami.com/v1alpha1 SealedSecret']);
  });

  it('fails an unknown field in a ClusterIssuer ACME solver', () => {
    const issuer = copy(object(staging, 'ClusterIssuer', 'letsencrypt-staging'));
    const solver = issuer.spec.acme.solvers[0];
    solver.http01.ingres = solver.http01.ingress;
    expect(problemsOf(issuer)).toEqual(['ClusterIssuer letsencrypt-staging: spec.acme.solvers[0].http01.ingres is not a field of cert-manager.io/v1 ClusterIssuer']);
  });

  it('fails a field of the wrong type, or a value its enum does not allow', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    deployment.spec.replicas = 'two';
    expect(problemsOf(deployment)).toEqual(['Deployment gravl-staging/backend: spec.replicas: found "two", expected integer']);
    const service = copy(object(staging, 'Service', 'backend'));
    service.spec.ports[0].protocol = 'TCPP';
    expect(problemsOf(service)).toEqual(['Service gravl-staging/backend: spec.ports[0].protocol: found "TCPP", expected one of "SCTP", "TCP", "UDP"']);
  });

  it('fails a missing required field', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    delete deployment.spec.template.spec.containers[0].name;
    expect(problemsOf(deployment)).toEqual(['Deployment gravl-staging/backend: spec.template.spec.containers[0].name is required']);
  });

  it('fails an apiVersion and kind it has no schema for, and a kind under an apiVersion that does not serve it', () => {
    const widget = { apiVersion: 'gravl.app/v1', kind: 'Widget', metadata: { name: 'w', namespace: 'gravl-staging' }, spec: {} };
    expect(problemsOf(widget)).toEqual([expect.stringMatching(/^Widget gravl-staging\/w: no schema for apiVersion "gravl.app\/v1" kind "Widget"/)]);
    const oldBudget = { ...copy(objects(environment('production'), 'PodDisruptionBudget')[0]!), apiVersion: 'policy/v1beta1' };
    expect(problemsOf(oldBudget)).toEqual([expect.stringMatching(/: no schema for apiVersion "policy\/v1beta1" kind "PodDisruptionBudget"/)]);
  });

  it('fails a custom kind under a version its CRD does not serve, a kind of a CRD group that has no CRD here, and an alpha Kubernetes API', () => {
    const external = { apiVersion: 'external-secrets.io/v1beta1', kind: 'ExternalSecret', metadata: { name: 'e', namespace: 'gravl-staging' }, spec: {} };
    expect(problemsOf(external)).toEqual([expect.stringMatching(/^ExternalSecret gravl-staging\/e: no schema for apiVersion "external-secrets.io\/v1beta1" kind "ExternalSecret"/)]);
    const request = { apiVersion: 'cert-manager.io/v1', kind: 'CertificateRequest', metadata: { name: 'r', namespace: 'gravl-staging' }, spec: {} };
    expect(problemsOf(request)).toEqual([expect.stringMatching(/^CertificateRequest gravl-staging\/r: no schema for apiVersion "cert-manager.io\/v1" kind "CertificateRequest"/)]);
    const policy = { apiVersion: 'admissionregistration.k8s.io/v1alpha1', kind: 'ValidatingAdmissionPolicy', metadata: { name: 'p' }, spec: {} };
    expect(problemsOf(policy)).toEqual([expect.stringMatching(/^ValidatingAdmissionPolicy p: no schema for apiVersion "admissionregistration.k8s.io\/v1alpha1"/)]);
  });

  it('fails a field of the wrong type in a custom kind: a SealedSecret whose encryptedData is a list', () => {
    const sealed = copy(object(staging, 'SealedSecret', 'gravl-db-credentials'));
    sealed.spec.encryptedData = Object.keys(sealed.spec.encryptedData).slice(0, 1);
    expect(problemsOf(sealed)).toEqual([
      `SealedSecret gravl-staging/gravl-db-credentials: spec.encryptedData: found ${JSON.stringify(sealed.spec.encryptedData)}, expected object`,
    ]);
  });

  it('fails a value a CRD enum does not allow, and an unknown metadata field of a custom kind', () => {
    const certificate = copy(object(staging, 'Certificate', 'gravl-internal-ca'));
    certificate.spec.privateKey.algorithm = 'ECDSB';
    certificate.metadata.lables = {};
    expect(problemsOf(certificate)).toEqual([
      'Certificate cert-manager/gravl-internal-ca: spec.privateKey.algorithm: found "ECDSB", expected one of "RSA", "ECDSA", "Ed25519"',
      'Certificate cert-manager/gravl-internal-ca: metadata.lables is not a field of io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
    ]);
  });

  it('fails an IntOrString or a Quantity of the wrong type, a quantity that does not parse, and Secret data that is not base64', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    deployment.spec.template.spec.containers[0].resources = { requests: { cpu: true, memory: '128MB' } };
    const service = copy(object(staging, 'Service', 'backend'));
    service.spec.ports[0].targetPort = { port: 3000 };
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'gravl-staging' }, data: { password: 'not base64!' } };
    expect([...problemsOf(deployment), ...problemsOf(service), ...problemsOf(secret)]).toEqual([
      'Deployment gravl-staging/backend: spec.template.spec.containers[0].resources.requests.cpu: found true, expected number or string',
      'Deployment gravl-staging/backend: spec.template.spec.containers[0].resources.requests.memory: found "128MB", which must match format "quantity"',
      'Service gravl-staging/backend: spec.ports[0].targetPort: found {"port":3000}, expected integer or string',
      'Secret gravl-staging/s: data.password: found "not base64!", which must match format "byte"',
    ]);
  });

  it('fails a field that Kubernetes added after 1.28 (the version the clusters run)', () => {
    const service = copy(object(staging, 'Service', 'backend'));
    service.spec.trafficDistribution = 'PreferClose';
    expect(problemsOf(service)).toEqual(['Service gravl-staging/backend: spec.trafficDistribution is not a field of io.k8s.api.core.v1.ServiceSpec']);
  });

  it('reports every problem of an object at once', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    deployment.spec.replicas = 'two';
    deployment.metadata.lables = { a: 'b' };
    deployment.spec.template.spec.containers[0].ports[0].containerPrt = 1;
    expect(problemsOf(deployment)).toEqual([
      'Deployment gravl-staging/backend: spec.replicas: found "two", expected integer',
      'Deployment gravl-staging/backend: metadata.lables is not a field of io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
      'Deployment gravl-staging/backend: spec.template.spec.containers[0].ports[0].containerPrt is not a field of io.k8s.api.core.v1.ContainerPort',
    ]);
  });

  it('accepts any key in maps, numbers and names as IntOrString, numbers and strings as Quantity', () => {
    const deployment = copy(object(staging, 'Deployment', 'backend'));
    deployment.metadata.labels['any.example.com/key'] = 'x';
    deployment.metadata.annotations = { 'note.example.com/any': 'x' };
    const container = deployment.spec.template.spec.containers[0];
    container.resources = { requests: { cpu: 1, memory: '128Mi' }, limits: { cpu: '500m', memory: 536870912 } };
    const service = copy(object(staging, 'Service', 'backend'));
    service.spec.ports[0].targetPort = 3000;
    service.spec.ports[1].targetPort = 'metrics';
    expect([...problemsOf(deployment), ...problemsOf(service)]).toEqual([]);
  });

  it('accepts anything in a free-form CRD field, such as the config of a webhook DNS-01 solver', () => {
    const issuer = copy(object(staging, 'ClusterIssuer', 'letsencrypt-staging'));
    issuer.spec.acme.solvers.push({ dns01: { webhook: { groupName: 'acme.example.com', solverName: 'example', config: { any: { nested: ['value', 1] } } } } });
    expect(problemsOf(issuer)).toEqual([]);
  });
});

describe('unknownFields', () => {
  const definitions: Record<string, FieldSchema> = {
    Root: {
      type: 'object',
      properties: {
        port: { $ref: 'IntOrString' },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        items: { type: 'array', items: { $ref: 'Item' } },
        free: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
        open: { type: 'object', properties: { known: { type: 'string' } }, 'x-kubernetes-preserve-unknown-fields': true },
        nested: { type: 'object', properties: { inline: { type: 'object', properties: { a: { type: 'string' } } } } },
      },
    },
    Item: { type: 'object', properties: { name: { type: 'string' } } },
    IntOrString: { 'x-kubernetes-int-or-string': true },
  };
  const definition = (name: string): FieldSchema => definitions[name]!;

  it('follows $refs, maps, arrays and inline objects, and skips preserved and int-or-string values', () => {
    const value = {
      port: 'http',
      labels: { 'a.example.com/b': 'c' },
      items: [{ name: 'x' }, { nme: 'y' }],
      free: { anything: { at: ['any', 'depth'] } },
      open: { known: 'k', extra: 1 },
      nested: { inline: { a: 'a', b: 'b' } },
      typo: true,
    };
    expect(unknownFields(value, { $ref: 'Root' }, definition)).toEqual([
      { path: 'items[1].nme', owner: 'Item' },
      { path: 'nested.inline.b', owner: 'Root' },
      { path: 'typo', owner: 'Root' },
    ]);
  });
});
