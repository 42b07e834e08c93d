/**
 * Where an environment's sealing certificate (`secrets/<env>/sealing-cert.pem`) came from, written
 * into the file itself as comment lines before the PEM block (PEM readers skip them):
 *
 *   # gravl-sealing-certificate: stand-in        made by this project; no controller holds its key
 *   # gravl-sealing-certificate: fetched         the cluster controller's, by npm run seal --fetch-cert
 *   # source: <how it was fetched>
 *   # date: YYYY-MM-DD
 *
 * A certificate without the mark has no known provenance and counts as a stand-in: only one that
 * `npm run seal -- --fetch-cert` wrote is trusted to be the controller's.
 */
import * as crypto from 'node:crypto';

export type CertificateProvenance = 'stand-in' | 'fetched' | 'unknown';

export interface SealingCertificate {
  /** `sha256:<hex>` of the certificate's DER bytes (what each sealed value records). */
  readonly fingerprint: string;
  readonly provenance: CertificateProvenance;
  /** The recorded source line, where there is one. */
  readonly source?: string;
  readonly date?: string;
}

const MARK = '# gravl-sealing-certificate:';

/** `sha256:<lowercase hex>` of a certificate (PEM). */
export function certificateFingerprint(pem: string): string {
  return `sha256:${new crypto.X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase()}`;
}

/** Reads a certificate file with its provenance; throws a short Error when it holds no certificate. */
export function readSealingCertificate(file: string, text: string): SealingCertificate {
  let fingerprint: string;
  try {
    fingerprint = certificateFingerprint(text);
  } catch {
    throw new Error(`${file}: found no X.509 certificate (PEM), expected the sealed-secrets controller's`);
  }
  const header = text.slice(0, Math.max(0, text.indexOf('-----BEGIN'))).split('\n');
  const field = (name: string) => header.find((l) => l.startsWith(`# ${name}:`))?.slice(name.length + 3).trim();
  const mark = header.find((l) => l.startsWith(MARK))?.slice(MARK.length).trim();
  // The stand-ins this project makes say so in their subject too: a header edited to read
  // "fetched" does not turn one into the controller's certificate.
  const provenance: CertificateProvenance = madeHere(text) ? 'stand-in' : mark === 'stand-in' || mark === 'fetched' ? mark : 'unknown';
  const source = field('source');
  const date = field('date');
  return { fingerprint, provenance, ...(source ? { source } : {}), ...(date ? { date } : {}) };
}

/**
 * Whether a certificate is one this project made: its subject's organisation starts with "gravl"
 * (the committed stand-ins say O=gravl-<env>, `seal --stand-in-cert` O=gravl stand-in <env>); a
 * sealed-secrets controller names itself CN=sealed-secret with no such organisation.
 */
export function madeHere(pem: string): boolean {
  return /(^|\n)O=gravl[- ]/.test(new crypto.X509Certificate(pemBlock(pem)).subject);
}

/** The PEM block of a certificate text, without any header. */
export function pemBlock(text: string): string {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text);
  if (!match) throw new Error('found no PEM certificate block (-----BEGIN CERTIFICATE-----)');
  return `${match[0]}\n`;
}

/** A certificate file's text with its provenance written before the PEM block. */
export function markedCertificate(pem: string, provenance: 'stand-in' | 'fetched', source: string, date: string): string {
  const note =
    provenance === 'stand-in'
      ? '# A stand-in made by this project: no sealed-secrets controller holds its private key, so nothing\n# sealed with it can be unsealed on a cluster. Replace it: npm run seal -- --fetch-cert --env <env>\n'
      : '# The sealed-secrets controller\'s certificate, fetched by npm run seal -- --fetch-cert.\n';
  return `${MARK} ${provenance}\n# source: ${source}\n# date: ${date}\n${note}${pemBlock(pem)}`;
}
