import * as fs from 'node:fs';
import * as path from 'node:path';
import { readyEnvironment } from '../support/ready';
import { describe, expect, it } from 'vitest';
import { plaintextSecrets, secretReferences, unproducedSecrets } from '../../lib/review/inspect/secrets';
import { committedText, edit, environment, objects, problemsOf, renderCommitted, renderTexts, ROOT, sourceFor } from '../support/render';
import { renderAll } from '../../lib/render/synth';
import { ProblemsError } from '../../lib/model/problems';

describe('secrets', () => {
  it.each(renderCommitted().map((e) => [e.name, e] as const))('%s renders no Secret with data', (_name, env) => {
    expect(plaintextSecrets(env.objects)).toEqual([]);
    expect(objects(env, 'Secret')).toEqual([]);
  });

  it.each(['staging', 'production'])('%s, once every credential is given, produces every Secret a pod or an issuer reads, with every key read', (name) => {
    const env = readyEnvironment(name);
    expect(secretReferences(env.objects).length).toBeGreaterThan(0);
    expect(unproducedSecrets(env.objects)).toEqual([]);
  });

  it('renders a provided credential nobody has given as missing, never as a value, and still renders', () => {
    const sealed = objects(environment('production'), 'SealedSecret', 'alertmanager-receivers')[0]!;
    expect((sealed.spec as any).encryptedData).toEqual({});
    expect(sealed.metadata.annotations).toMatchObject({
      'credential.gravl.app/slack-webhook-url': 'provided/slack-webhook-url',
      'credential.gravl.app/smtp-password': 'provided/password',
      'origin.gravl.app/slack-webhook-url': 'missing',
      'origin.gravl.app/smtp-password': 'missing',
    });
    const token = objects(environment('production'), 'SealedSecret', 'cloudflare-api-token')[0]!;
    expect(token.metadata.annotations?.['origin.gravl.app/api-token']).toBe('missing');
  });

  it('records on each SealedSecret the certificate, its provenance, and per key the class, origin and certificate sealed for', () => {
    const committed = objects(environment('staging'), 'SealedSecret', 'gravl-db-credentials')[0]!.metadata.annotations!;
    expect(committed['sealing.gravl.app/certificate-provenance']).toBe('stand-in');
    expect(committed['sealing.gravl.app/certificate']).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(committed['sealed-for.gravl.app/password']).toBe(committed['sealing.gravl.app/certificate']);
    expect(committed['credential.gravl.app/password']).toBe('generated');
    expect(committed['origin.gravl.app/password']).toBe('generated');
    const ready = objects(readyEnvironment('staging'), 'SealedSecret', 'alertmanager-receivers')[0]!.metadata.annotations!;
    expect(ready['sealing.gravl.app/certificate-provenance']).toBe('fetched');
    expect(ready['origin.gravl.app/slack-webhook-url']).toBe('provided');
  });

  it('reads the database credentials of the backend from a SealedSecret in its namespace, keys dated', () => {
    const env = environment('staging');
    const sealed = objects(env, 'SealedSecret', 'gravl-db-credentials')[0]!;
    expect(sealed.metadata.namespace).toBe('gravl-staging');
    expect(Object.keys((sealed.spec as any).encryptedData).sort()).toEqual(['password', 'username']);
    for (const key of ['password', 'username']) expect(sealed.metadata.annotations?.[`rotated.gravl.app/${key}`]).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect((sealed.spec as any).template).toMatchObject({ metadata: { name: 'gravl-db-credentials', namespace: 'gravl-staging' }, type: 'Opaque' });
  });

  it('seals the Cloudflare token where dns01 is on, in the namespace cert-manager reads it from', () => {
    const sealed = objects(environment('production'), 'SealedSecret', 'cloudflare-api-token');
    expect(sealed).toHaveLength(1);
    expect(sealed[0]!.metadata.namespace).toBe('cert-manager');
    expect(objects(environment('staging'), 'SealedSecret', 'cloudflare-api-token')).toHaveLength(0);
  });

  it('fails synth naming the file, the missing key, who reads it and the command that seals it', () => {
    const source = sourceFor('staging', committedText('staging'));
    const text = edit(source.sealedValues!.text!, (doc) => doc.deleteIn(['gravl-staging', 'gravl-db-credentials', 'data', 'password']));
    let error: unknown;
    try {
      renderAll([{ ...source, sealedValues: { file: 'secrets/staging/sealed-values.yaml', text } }]);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProblemsError);
    expect((error as ProblemsError).message).toBe(
      'secrets/staging/sealed-values.yaml: gravl-staging.gravl-db-credentials.data.password: found no sealed value, expected the one read by ' +
        'StatefulSet postgres and Job postgres-roles: ' +
        'npm run seal -- --env staging --namespace gravl-staging --name gravl-db-credentials --key password --generate',
    );
  });

  it('rejects a sealed values file that is not ciphertext as npm run seal writes it', () => {
    const source = sourceFor('staging', committedText('staging'));
    const text = edit(source.sealedValues!.text!, (doc) => doc.setIn(['gravl-staging', 'gravl-db-credentials', 'data', 'password', 'sealed'], 'gravl_password'));
    let error: unknown;
    try {
      renderAll([{ ...source, sealedValues: { file: 'secrets/staging/sealed-values.yaml', text } }]);
    } catch (e) {
      error = e;
    }
    expect((error as ProblemsError).message).toMatch(/^secrets\/staging\/sealed-values\.yaml:\d+:\d+: gravl-staging\.gravl-db-credentials\.data\.password\.sealed: found "gravl_password", expected /);
  });

  it('renders ExternalSecrets with a refresh interval where the environment takes secrets from a store', () => {
    const text = edit(committedText('production'), (doc) =>
      doc.set('secrets', doc.createNode({ provider: 'external', external: { store: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' }, refreshInterval: '1h', keyPrefix: 'gravl/production' } })),
    );
    const [env] = renderTexts({ production: text });
    expect(objects(env!, 'SealedSecret')).toHaveLength(0);
    const external = objects(env!, 'ExternalSecret', 'gravl-db-credentials')[0]!;
    expect(external.apiVersion).toBe('external-secrets.io/v1');
    expect(external.spec).toEqual({
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'aws-secrets-manager' },
      target: { name: 'gravl-db-credentials', creationPolicy: 'Owner', template: { type: 'Opaque' } },
      data: [
        { secretKey: 'password', remoteRef: { key: 'gravl/production/gravl-prod/gravl-db-credentials', property: 'password' } },
        { secretKey: 'username', remoteRef: { key: 'gravl/production/gravl-prod/gravl-db-credentials', property: 'username' } },
      ],
    });
    expect(unproducedSecrets(env!.objects)).toEqual([]);
  });

  it('rejects the external provider without its store', () => {
    const text = edit(committedText('staging'), (doc) => doc.set('secrets', doc.createNode({ provider: 'external' })));
    expect(problemsOf({ staging: text })).toEqual([expect.stringContaining('secrets.external: found nothing, expected the store')]);
  });

  it('keeps the temporary credentials of the seeds out of the environments, the sealed values and the output', () => {
    const files: string[] = [];
    const walk = (dir: string) => {
      for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) walk(path.join(dir, entry.name));
        else files.push(path.join(dir, entry.name));
      }
    };
    // lib/cli/seal.ts names them, to refuse them.
    for (const dir of ['dist', 'environments', 'secrets']) walk(path.join(ROOT, dir));
    for (const file of files) {
      const text = fs.readFileSync(file, 'utf8');
      expect(text, file).not.toMatch(/gravl_user|gravl_password/);
    }
  });
});

describe('secret references', () => {
  it('finds secrets read through env, envFrom, volumes and issuers, and flags those nothing produces', () => {
    const objects = [
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'a', namespace: 'x' }, spec: { template: { spec: { containers: [{ name: 'c', env: [{ name: 'P', valueFrom: { secretKeyRef: { name: 's1', key: 'k' } } }], envFrom: [{ secretRef: { name: 's2' } }] }], volumes: [{ name: 'v', secret: { secretName: 's3' } }] } } } },
      { apiVersion: 'cert-manager.io/v1', kind: 'ClusterIssuer', metadata: { name: 'ca' }, spec: { ca: { secretName: 'root' } } },
      { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 's1', namespace: 'x' }, spec: { encryptedData: { other: 'AgA' }, template: { metadata: { name: 's1', namespace: 'x' } } } },
      { apiVersion: 'bitnami.com/v1alpha1', kind: 'SealedSecret', metadata: { name: 's2', namespace: 'y' }, spec: { encryptedData: { k: 'AgA' } } },
    ];
    const missing = unproducedSecrets(objects as any).map((m) => `${m.reference.namespace}/${m.reference.name}:${m.missingKeys.join(',')}`);
    expect(missing).toEqual(['x/s1:k', 'x/s2:', 'x/s3:', 'cert-manager/root:tls.crt,tls.key']);
  });
});
