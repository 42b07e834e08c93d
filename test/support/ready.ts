/**
 * An environment as it is once a person has done what READINESS.md asks: the controller's
 * certificate fetched (here the test key pair's, marked as fetched), every generated value sealed
 * for it, every provided credential given by its owner (here values of the right form), and every
 * stand-in image digest pinned (here a digest of the right form). The committed environment files
 * render it otherwise unchanged.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments, type EnvironmentSource } from '../../lib/model/load';
import { GravlEnvironment } from '../../lib/system/gravl';
import { markedCertificate } from '../../lib/model/certificate';
import type { CredentialForm } from '../../lib/model/credentials';
import { sealIntoValues } from '../../lib/cli/seal';
import { renderAll } from '../../lib/render/synth';
import type { RenderedEnvironment } from '../../lib/render/render';
import { committedText, sourceFor } from './render';

export const FIXTURE_CERT = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sealing', 'cert.pem'), 'utf8');
/** The test key pair's certificate, as `npm run seal -- --fetch-cert` would have written it. */
export const FETCHED_CERT = markedCertificate(FIXTURE_CERT, 'fetched', 'kubectl context test, Service kube-system/sealed-secrets-controller', '2026-11-30');

/** A value of each provided form, as its owner would give it. */
export const PROVIDED_VALUES: Record<CredentialForm, string> = {
  'slack-webhook-url': 'https://hooks.slack.com/services/T0123ABCD/B0456EFGH/abcdefghijklmnopqrstuvwx',
  'webhook-url': 'https://hc-ping.com/4f1c2a7e-9b1d-4c3e-8f5a-2d6b7e8c9a01',
  password: 'smtp-relay-password-from-provider',
  'api-token': 'cf_token_abcdefghijklmnopqrstuvwxyz012345',
  'access-key-id': 'AKIAIOSFODNN7EXAMPLE',
  'secret-access-key': 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  pem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
};

/** A stand-in image digest in an environment file (all zeros), and what a person pins in its place. */
export const STAND_IN_DIGEST = `sha256:${'0'.repeat(64)}`;
export const PINNED_DIGEST = `sha256:${'ab'.repeat(32)}`;

/** The source of a committed environment with every value sealed for the fixture certificate. */
export function readySource(name: string, text = committedText(name).replaceAll(STAND_IN_DIGEST, PINNED_DIGEST), certificate = FETCHED_CERT): EnvironmentSource {
  const base = sourceFor(name, text);
  const loaded = loadEnvironments([{ ...base, sealedValues: { file: `secrets/${name}/sealed-values.yaml` } }]);
  if (!loaded.ok) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  let values: string | undefined;
  for (const d of new GravlEnvironment(loaded.environments[0]!, { declarationsOnly: true }).secrets.declarations()) {
    values = sealIntoValues(
      {
        environment: name, namespace: d.namespace, name: d.name, key: d.key, scope: 'strict', keyClass: d.keyClass, today: '2026-11-22',
        ...(d.keyClass.origin === 'provided' ? { value: Buffer.from(PROVIDED_VALUES[d.keyClass.form]) } : {}),
      },
      { certificate, ...(values ? { valuesText: values } : {}) },
    );
  }
  return { ...base, sealedValues: { file: `secrets/${name}/sealed-values.yaml`, ...(values ? { text: values } : {}) }, sealingCertificate: { file: `secrets/${name}/sealing-cert.pem`, text: certificate } };
}

const cache = new Map<string, RenderedEnvironment>();

/** A committed environment rendered as it is once ready (see above). */
export function readyEnvironment(name: string): RenderedEnvironment {
  let env = cache.get(name);
  if (!env) {
    env = renderAll([readySource(name)]).environments[0]!;
    cache.set(name, env);
  }
  return env;
}
