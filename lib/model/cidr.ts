/**
 * Addresses and address blocks, IPv4 and IPv6, as the environment files and NetworkPolicy ipBlocks
 * write them: the one parser the format checks, the NetworkPolicy mechanism, the policy evaluator
 * and the diff share.
 */

/** The two address families. */
export type IpFamily = 4 | 6;

/** An address: its family and its value as a 32- or 128-bit number. */
export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

/**
 * An address block: its family, its first address (host bits cleared: like the API server, a block
 * written `10.1.2.3/8` is read as `10.0.0.0/8`), its prefix length and the text it was read from.
 */
export interface Cidr {
  readonly family: IpFamily;
  readonly base: bigint;
  readonly prefix: number;
  readonly text: string;
}

const BITS: Readonly<Record<IpFamily, number>> = { 4: 32, 6: 128 };

/** An IPv4 (`10.0.0.1`) or IPv6 (`fd00::1`, `::ffff:10.0.0.1`) address; undefined for anything else. */
export function parseIp(text: unknown): IpAddress | undefined {
  if (typeof text !== 'string') return undefined;
  if (!text.includes(':')) {
    const value = parseIpv4(text);
    return value === undefined ? undefined : { family: 4, value };
  }
  const value = parseIpv6(text);
  return value === undefined ? undefined : { family: 6, value };
}

/** A block `<address>/<prefix length>` (the length is required); undefined for anything else. */
export function parseCidr(text: unknown): Cidr | undefined {
  if (typeof text !== 'string') return undefined;
  const [address, length, ...rest] = text.split('/');
  if (rest.length > 0 || length === undefined || !/^\d{1,3}$/.test(length)) return undefined;
  const ip = parseIp(address);
  const prefix = Number(length);
  if (!ip || prefix > BITS[ip.family]) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix, text };
}

/** True when the address is in the block (never across families). */
export function cidrHas(cidr: Cidr, ip: IpAddress): boolean {
  return cidr.family === ip.family && (ip.value & mask(ip.family, cidr.prefix)) === cidr.base;
}

/** True when every address of `inner` is in `outer` (false across families, or when either does not parse). */
export function cidrContains(outer: string | Cidr, inner: string | Cidr): boolean {
  if (outer === inner) return true;
  const o = typeof outer === 'string' ? parseCidr(outer) : outer;
  const i = typeof inner === 'string' ? parseCidr(inner) : inner;
  return o !== undefined && i !== undefined && o.prefix <= i.prefix && cidrHas(o, { family: i.family, value: i.base });
}

/** An address as text: dotted IPv4, or IPv6 as eight hexadecimal groups. */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join('.');
  return Array.from({ length: 8 }, (_, i) => ((ip.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16)).join(':');
}

/** The first host address of a block (its base address for a single-address block), standing for every address of it. */
export function firstHost(cidr: Cidr): IpAddress {
  return { family: cidr.family, value: cidr.base + (cidr.prefix < BITS[cidr.family] ? 1n : 0n) };
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BigInt(BITS[family]);
  return ((1n << bits) - 1n) ^ ((1n << (bits - BigInt(prefix))) - 1n);
}

function parseIpv4(ip: string): bigint | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => (acc << 8n) | BigInt(p), 0n);
}

function parseIpv6(ip: string): bigint | undefined {
  let groups = ip;
  // An IPv4 tail (`::ffff:10.0.0.1`) stands for the last two groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(ip);
  if (dotted) {
    const v4 = parseIpv4(dotted[2]!);
    if (v4 === undefined) return undefined;
    groups = `${dotted[1]}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = groups.split('::');
  if (halves.length > 2) return undefined;
  const split = (s: string | undefined): string[] => (s ? s.split(':') : []);
  const head = split(halves[0]);
  const tail = split(halves[1]);
  const missing = 8 - head.length - tail.length;
  if ((halves.length === 1 && missing !== 0) || (halves.length === 2 && missing < 1)) return undefined;
  const all = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))) return undefined;
  return all.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}
