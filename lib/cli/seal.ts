/**
 * `npm run seal`: seals one value for an environment's sealed-secrets controller and writes it into
 * the environment's sealed values with today's date as its rotation date, how it was made and the
 * certificate it was sealed for. A generated key's value comes from standard input or is generated;
 * a provided key's value only from standard input, checked for its form. The plaintext is never
 * written anywhere.
 */
import { certificateFingerprint } from '../model/certificate';
import { checkCredentialForm, classLabel, type KeyClass } from '../model/credentials';
import { SEALING_SCOPES, withSealedValue, type SealingScope } from '../model/sealed-values';
import { generatePassword, publicKeyOfCertificate, seal } from './sealing';

export interface SealRequest {
  readonly environment: string;
  readonly namespace: string;
  readonly name: string;
  readonly key: string;
  readonly scope: SealingScope;
  /** How the key's value comes to exist, as the construct that reads it declares. */
  readonly keyClass: KeyClass;
  /** Secret type, e.g. kubernetes.io/tls. @default unchanged (Opaque for a new secret) */
  readonly type?: string;
  /** The value; undefined to generate one. */
  readonly value?: Buffer;
  /** Length of a generated value. @default 40 */
  readonly length?: number;
  /** Rotation date to record (YYYY-MM-DD). */
  readonly today: string;
}

export interface SealInputs {
  /** The controller's certificate (PEM). */
  readonly certificate: string;
  /** The current sealed values file, or undefined when the environment has none yet. */
  readonly valuesText?: string;
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Checks a request; returns the problems, one sentence each. */
export function checkSealRequest(request: Omit<SealRequest, 'value' | 'today' | 'keyClass'>): string[] {
  const problems: string[] = [];
  if (!DNS_NAME.test(request.environment)) problems.push(`--env: found ${JSON.stringify(request.environment)}, expected an environment name such as staging`);
  if (!DNS_NAME.test(request.namespace)) problems.push(`--namespace: found ${JSON.stringify(request.namespace)}, expected a namespace name such as gravl-staging`);
  if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(request.name)) problems.push(`--name: found ${JSON.stringify(request.name)}, expected a Secret name such as gravl-db-credentials`);
  if (!/^[-._a-zA-Z0-9]+$/.test(request.key)) problems.push(`--key: found ${JSON.stringify(request.key)}, expected a Secret key such as password`);
  if (!SEALING_SCOPES.includes(request.scope)) problems.push(`--scope: found ${JSON.stringify(request.scope)}, expected one of ${SEALING_SCOPES.join(', ')}`);
  return problems;
}

/** Credentials known to have been used, and so never to be sealed again (the seeds' temporary ones among them). */
const KNOWN_DEFAULTS = ['gravl_password', 'gravl_user', 'password', 'changeme', 'admin', 'postgres', 'secret'];

/** Keys that hold a password, which must be strong (the sign-off: 32 characters or more). */
function isPasswordKey(key: string): boolean {
  return /pass(word)?|secret/i.test(key);
}

/** Seals the value and returns the new text of the sealed values file. */
export function sealIntoValues(request: SealRequest, inputs: SealInputs): string {
  const where = `${request.namespace}/${request.name} key ${request.key}`;
  const keyClass = request.keyClass;
  if (keyClass.origin === 'provided' && request.value === undefined) {
    throw new Error(`--generate: ${where} is a provided credential (${classLabel(keyClass)}): only its owner can give it; pass the real value on standard input`);
  }
  const value = request.value ?? Buffer.from(generatePassword(request.length ?? 40));
  if (value.length === 0) throw new Error(`${where}: the value is empty: pass it on standard input${keyClass.origin === 'generated' ? ', or use --generate' : ''}`);
  const text = value.toString('utf8');
  if (KNOWN_DEFAULTS.includes(text.toLowerCase())) throw new Error(`${where}: refusing a well-known default${keyClass.origin === 'generated' ? ' (use --generate)' : ''}`);
  if (keyClass.origin === 'provided') {
    const problem = checkCredentialForm(keyClass.form, text);
    if (problem) throw new Error(`${where} (${classLabel(keyClass)}): ${problem}`);
  } else if (request.value !== undefined && isPasswordKey(request.key) && text.length < 32) {
    throw new Error(`${request.key}: found ${text.length} characters, expected at least 32 for a password (use --generate)`);
  }
  const sealed = seal(publicKeyOfCertificate(inputs.certificate), request, value);
  const header =
    ` Sealed values of the ${request.environment} environment: ciphertext only, for its sealed-secrets controller\n` +
    ` (certificate: secrets/${request.environment}/sealing-cert.pem). Written by npm run seal; do not edit by hand.`;
  return withSealedValue(
    inputs.valuesText,
    {
      namespace: request.namespace,
      name: request.name,
      key: request.key,
      sealed,
      rotated: request.today,
      scope: request.scope,
      ...(request.type ? { type: request.type } : {}),
      origin: request.value === undefined ? 'generated' : 'provided',
      certificate: certificateFingerprint(inputs.certificate),
    },
    header,
  );
}
