/**
 * Sealing as kubeseal does it, so the sealed-secrets controller can unseal what this writes: a
 * random single-use AES-256-GCM session key encrypts the value (zero nonce: the key is never
 * reused), RSA-OAEP with SHA-256 encrypts the session key, with a label that binds the ciphertext
 * to its scope. Output: a 2-byte big-endian length of the RSA ciphertext, the RSA ciphertext, the
 * AES-GCM ciphertext with its tag; base64 as in a SealedSecret's encryptedData.
 */
import * as crypto from 'node:crypto';
import type { SealingScope } from '../model/sealed-values';

export interface SealingTarget {
  readonly namespace: string;
  readonly name: string;
  readonly scope: SealingScope;
}

const SESSION_KEY_BYTES = 32;
const GCM_NONCE = Buffer.alloc(12);
const GCM_TAG_BYTES = 16;

/** The OAEP label of a scope: `namespace/name`, `namespace`, or empty. */
export function sealingLabel(target: SealingTarget): Buffer {
  switch (target.scope) {
    case 'strict': return Buffer.from(`${target.namespace}/${target.name}`);
    case 'namespace-wide': return Buffer.from(target.namespace);
    case 'cluster-wide': return Buffer.alloc(0);
  }
}

/** Seals one value for the controller whose public key is given; returns base64. */
export function seal(publicKey: crypto.KeyObject, target: SealingTarget, plaintext: Buffer): string {
  const sessionKey = crypto.randomBytes(SESSION_KEY_BYTES);
  const wrappedKey = crypto.publicEncrypt(
    { key: publicKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: sealingLabel(target) },
    sessionKey,
  );
  const cipher = crypto.createCipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(wrappedKey.length);
  return Buffer.concat([length, wrappedKey, body]).toString('base64');
}

/** Unseals a value with the controller's private key (what the controller does; used by tests and checks). */
export function unseal(privateKey: crypto.KeyObject, target: SealingTarget, sealed: string): Buffer {
  const bytes = Buffer.from(sealed, 'base64');
  if (bytes.length < 2) throw new Error('sealed value is too short');
  const keyLength = bytes.readUInt16BE(0);
  const wrappedKey = bytes.subarray(2, 2 + keyLength);
  const body = bytes.subarray(2 + keyLength);
  if (wrappedKey.length !== keyLength || body.length < GCM_TAG_BYTES) throw new Error('sealed value is truncated');
  const sessionKey = crypto.privateDecrypt(
    { key: privateKey, padding: crypto.constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: sealingLabel(target) },
    wrappedKey,
  );
  const decipher = crypto.createDecipheriv('aes-256-gcm', sessionKey, GCM_NONCE);
  decipher.setAuthTag(body.subarray(body.length - GCM_TAG_BYTES));
  return Buffer.concat([decipher.update(body.subarray(0, body.length - GCM_TAG_BYTES)), decipher.final()]);
}

/** The RSA public key of a sealed-secrets controller certificate (PEM), refusing an expired or non-RSA one. */
export function publicKeyOfCertificate(pem: string, now: Date = new Date()): crypto.KeyObject {
  const certificate = new crypto.X509Certificate(pem);
  if (new Date(certificate.validTo) < now) throw new Error(`the sealing certificate expired on ${certificate.validTo}: fetch the controller's current one (kubeseal --fetch-cert)`);
  if (certificate.publicKey.asymmetricKeyType !== 'rsa') throw new Error('the sealing certificate does not hold an RSA key');
  return certificate.publicKey;
}

/** A strong random value for passwords: 40 characters from a 62-letter alphabet (about 238 bits). */
export function generatePassword(length = 40): string {
  if (length < 32) throw new Error(`a generated value has at least 32 characters, not ${length}`);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let out = '';
  while (out.length < length) {
    // Rejection sampling keeps every letter equally likely (256 is not a multiple of 62).
    for (const byte of crypto.randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += alphabet[byte % 62];
    }
  }
  return out;
}
