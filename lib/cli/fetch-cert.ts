/**
 * Getting the sealing certificate: the controller's, as `kubeseal --fetch-cert` gets it (through the
 * API server's service proxy, with kubectl and its current context), or a stand-in made with
 * openssl for tests and first tries, whose private key is thrown away on the spot.
 */
import { spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { pemBlock, readSealingCertificate } from '../model/certificate';
import { publicKeyOfCertificate } from './sealing';

export interface ControllerRef {
  /** @default kube-system */
  readonly namespace?: string;
  /** The controller's Service. @default sealed-secrets-controller */
  readonly name?: string;
  /** A kubectl context. @default kubectl's current context */
  readonly context?: string;
}

/** The API path kubeseal reads the certificate from. */
export function certificatePath(ref: ControllerRef): string {
  return `/api/v1/namespaces/${ref.namespace ?? 'kube-system'}/services/http:${ref.name ?? 'sealed-secrets-controller'}:/proxy/v1/cert.pem`;
}

/** Runs kubectl; returns stdout, or throws its first error line. */
function kubectl(args: readonly string[], env?: NodeJS.ProcessEnv): string {
  const run = spawnSync('kubectl', args, { encoding: 'utf8', timeout: 60_000, ...(env ? { env } : {}) });
  if (run.error) throw new Error(`kubectl could not run (${(run.error as NodeJS.ErrnoException).code ?? run.error.message}): install kubectl, or pass a file written by kubeseal --fetch-cert with --from`);
  if (run.status !== 0) throw new Error(`kubectl ${args.join(' ')}: ${(run.stderr.trim().split('\n')[0] ?? '') || `exit ${run.status}`}`);
  return run.stdout;
}

/** Fetches the controller's certificate with kubectl; returns the PEM text and a description of where it came from. */
export function fetchWithKubectl(ref: ControllerRef, env?: NodeJS.ProcessEnv): { pem: string; source: string } {
  const context = ref.context ?? kubectl(['config', 'current-context'], env).trim();
  const pem = kubectl(['--context', context, 'get', '--raw', certificatePath(ref)], env);
  return { pem, source: `kubectl context ${context}, Service ${ref.namespace ?? 'kube-system'}/${ref.name ?? 'sealed-secrets-controller'}` };
}

/** Checks that a fetched text is a usable controller certificate (RSA, not expired, not one of our stand-ins). */
export function checkFetchedCertificate(label: string, pem: string): void {
  const read = readSealingCertificate(label, pem);
  if (read.provenance === 'stand-in') throw new Error(`${label}: is a stand-in made by this project (subject ${new X509Certificate(pemBlock(pem)).subject.replace(/\n/g, ', ')}), not a controller's certificate`);
  try {
    publicKeyOfCertificate(pem);
  } catch (error) {
    throw new Error(`${label}: ${(error as Error).message}`);
  }
}

/** A new self-signed certificate whose private key is discarded at once (openssl, found on env's PATH when given). */
export function makeStandInCertificate(environment: string, env?: NodeJS.ProcessEnv): string {
  const run = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-days', '3650', '-subj', `/O=gravl stand-in ${environment}/CN=stand-in sealing certificate`, '-out', '-'], { encoding: 'utf8', timeout: 120_000, ...(env ? { env } : {}) });
  if (run.error || run.status !== 0) throw new Error(`openssl could not make a certificate: ${run.error?.message ?? run.stderr.trim().split('\n')[0]}`);
  return run.stdout;
}
