/**
 * CIDR arithmetic (IPv4 and IPv6) for NetworkPolicy address blocks.
 */

interface Cidr {
  readonly bits: number;
  readonly address: bigint;
  readonly prefix: number;
}

/** True when every address of `inner` is in `outer` (IPv4 and IPv6; false when either does not parse). */
export function cidrContains(outer: string, inner: string): boolean {
  if (outer === inner) return true;
  const o = parseCidr(outer);
  const i = parseCidr(inner);
  if (!o || !i || o.bits !== i.bits || o.prefix > i.prefix) return false;
  const shift = BigInt(o.bits - o.prefix);
  return o.address >> shift === i.address >> shift;
}

function parseCidr(text: string): Cidr | undefined {
  const [ip, length, ...rest] = text.trim().split('/');
  if (ip === undefined || rest.length > 0) return undefined;
  const v4 = parseIpv4(ip);
  const address = v4 ?? parseIpv6(ip);
  if (address === undefined) return undefined;
  const bits = v4 !== undefined ? 32 : 128;
  const prefix = length === undefined ? bits : /^\d+$/.test(length) ? Number(length) : NaN;
  return Number.isInteger(prefix) && prefix <= bits ? { bits, address, prefix } : undefined;
}

function parseIpv4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseIpv6(ip: string): bigint | undefined {
  const halves = ip.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || missing < 0) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
