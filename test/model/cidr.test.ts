/**
 * The one address parser: the environment files' `cidr` format, the NetworkPolicy mechanism, the
 * policy evaluator and the diff all read blocks through it.
 */
import { describe, expect, it } from 'vitest';
import { cidrContains, cidrHas, firstHost, formatIp, parseCidr, parseIp } from '../../lib/model/cidr';
import { FORMATS } from '../../lib/model/formats';

describe('parseIp', () => {
  it('reads IPv4 and IPv6 addresses, an IPv4 tail included', () => {
    expect(parseIp('10.244.1.2')).toEqual({ family: 4, value: 0x0af40102n });
    expect(parseIp('fd00::1')).toEqual({ family: 6, value: (0xfd00n << 112n) | 1n });
    expect(parseIp('::ffff:10.0.0.1')).toEqual({ family: 6, value: (0xffffn << 32n) | 0x0a000001n });
    expect(parseIp('::')).toEqual({ family: 6, value: 0n });
  });

  it('rejects what is not an address', () => {
    for (const text of ['10.0.0', '10.0.0.256', '10.0.0.1.2', 'a.b.c.d', '1::2::3', '1:2:3:4:5:6:7', '1:2:3:4::5:6:7:8', 'fd00::g', '', 42]) expect(parseIp(text), String(text)).toBeUndefined();
  });
});

describe('parseCidr', () => {
  it('reads a block and clears its host bits, as the API server does', () => {
    expect(parseCidr('93.184.216.200/24')).toEqual({ family: 4, base: parseIp('93.184.216.0')!.value, prefix: 24, text: '93.184.216.200/24' });
    expect(parseCidr('fd00:10::/32')).toMatchObject({ family: 6, prefix: 32 });
    expect(parseCidr('0.0.0.0/0')).toMatchObject({ family: 4, base: 0n, prefix: 0 });
  });

  it('rejects a block without a prefix length, or with one longer than the family', () => {
    for (const text of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/8', '::/129', ' 10.0.0.0/8', '10.0.0.0/-1']) expect(parseCidr(text), text).toBeUndefined();
  });
});

describe('cidrContains and cidrHas', () => {
  it('says whether a block lies inside another, within one family', () => {
    expect(cidrContains('10.0.0.0/8', '10.20.0.0/16')).toBe(true);
    expect(cidrContains('10.20.0.0/16', '10.0.0.0/8')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '11.0.0.0/16')).toBe(false);
    expect(cidrContains('fd00::/8', 'fd00:10::/32')).toBe(true);
    expect(cidrContains('0.0.0.0/0', '::/0')).toBe(false);
    expect(cidrContains('10.0.0.0/8', 'not a block')).toBe(false);
  });

  it('says whether an address is in a block', () => {
    expect(cidrHas(parseCidr('10.244.0.0/16')!, parseIp('10.244.3.4')!)).toBe(true);
    expect(cidrHas(parseCidr('10.244.0.0/16')!, parseIp('10.245.0.1')!)).toBe(false);
    expect(cidrHas(parseCidr('::/0')!, parseIp('10.0.0.1')!)).toBe(false);
  });
});

describe('formatIp and firstHost', () => {
  it('writes an address back, and names the first host of a block', () => {
    expect(formatIp(parseIp('10.244.1.2')!)).toBe('10.244.1.2');
    expect(formatIp(parseIp('fd00::1')!)).toBe('fd00:0:0:0:0:0:0:1');
    expect(formatIp(firstHost(parseCidr('192.168.7.9/24')!))).toBe('192.168.7.1');
    expect(formatIp(firstHost(parseCidr('203.0.113.7/32')!))).toBe('203.0.113.7');
  });
});

describe('the cidr format of the environment files', () => {
  it('takes an IPv4 block, and rejects an IPv6 one or a bare address', () => {
    const check = FORMATS.cidr!.check;
    expect(check('10.0.0.0/8')).toBe(true);
    expect(check('192.168.1.0/24')).toBe(true);
    for (const text of ['fd00::/8', '10.0.0.1', '10.0.0.0/33', '300.0.0.0/8']) expect(check(text), text).toBe(false);
  });
});
