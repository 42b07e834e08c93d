import * as crypto from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { generatePassword, publicKeyOfCertificate, seal, unseal, type SealingTarget } from '../../lib/cli/sealing';

const { publicKey, privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const value = Buffer.from('correct horse battery staple');
const target = (scope: SealingTarget['scope'], namespace = 'gravl-staging', name = 'gravl-db-credentials'): SealingTarget => ({ scope, namespace, name });

describe('sealing as kubeseal does', () => {
  it('round-trips a value in strict scope with the key pair the test generated', () => {
    const sealed = seal(publicKey, target('strict'), value);
    expect(unseal(privateKey, target('strict'), sealed)).toEqual(value);
  });

  it('lays the ciphertext out as a 2-byte RSA length, the RSA-OAEP block, then AES-GCM output with its tag', () => {
    const bytes = Buffer.from(seal(publicKey, target('strict'), value), 'base64');
    expect(bytes.readUInt16BE(0)).toBe(256);
    expect(bytes.length).toBe(2 + 256 + value.length + 16);
  });

  it('binds a strict value to its namespace and name', () => {
    const sealed = seal(publicKey, target('strict'), value);
    expect(() => unseal(privateKey, target('strict', 'gravl-prod'), sealed)).toThrow();
    expect(() => unseal(privateKey, target('strict', 'gravl-staging', 'other-secret'), sealed)).toThrow();
  });

  it('binds a namespace-wide value to its namespace only', () => {
    const sealed = seal(publicKey, target('namespace-wide'), value);
    expect(unseal(privateKey, target('namespace-wide', 'gravl-staging', 'any-name'), sealed)).toEqual(value);
    expect(() => unseal(privateKey, target('namespace-wide', 'gravl-prod'), sealed)).toThrow();
  });

  it('lets a cluster-wide value be unsealed in any namespace under any name', () => {
    const sealed = seal(publicKey, target('cluster-wide'), value);
    expect(unseal(privateKey, target('cluster-wide', 'elsewhere', 'renamed'), sealed)).toEqual(value);
    expect(() => unseal(privateKey, target('strict'), sealed)).toThrow();
  });

  it('rejects a ciphertext that was tampered with', () => {
    const bytes = Buffer.from(seal(publicKey, target('strict'), value), 'base64');
    bytes[bytes.length - 20] ^= 0xff;
    expect(() => unseal(privateKey, target('strict'), bytes.toString('base64'))).toThrow();
  });

  it('seals the same value differently every time (a fresh session key)', () => {
    expect(seal(publicKey, target('strict'), value)).not.toBe(seal(publicKey, target('strict'), value));
  });

  it('reads the RSA key of a controller certificate and rejects one that has expired', () => {
    const pem = fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'sealing', 'cert.pem'), 'utf8');
    expect(publicKeyOfCertificate(pem).asymmetricKeyType).toBe('rsa');
    expect(() => publicKeyOfCertificate(pem, new Date('2300-01-01'))).toThrow(/expired/);
  });
});

describe('generated values', () => {
  it('are 40 letters and digits by default, and different each time', () => {
    const a = generatePassword();
    expect(a).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(generatePassword()).not.toBe(a);
    expect(generatePassword(64)).toHaveLength(64);
  });

  it('rejects a length under 32 characters', () => {
    expect(() => generatePassword(31)).toThrow(/at least 32/);
  });
});
