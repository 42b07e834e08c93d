/**
 * The edge as the diff and readiness both read it: which route rules redirect plain HTTP to HTTPS,
 * and which Strict-Transport-Security value a rule sends.
 */
import { describe, expect, it } from 'vitest';
import { hstsHeader, redirectsToHttps } from '../../../lib/review/inspect/edge';

describe('redirectsToHttps', () => {
  it('finds a RequestRedirect filter to the https scheme', () => {
    expect(redirectsToHttps({ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] })).toBe(true);
  });

  it('rejects a redirect to another scheme, or a rule without one', () => {
    expect(redirectsToHttps({ filters: [{ type: 'RequestRedirect', requestRedirect: { hostname: 'gravl.app' } }] })).toBe(false);
    expect(redirectsToHttps({ backendRefs: [{ name: 'backend', port: 3000 }] })).toBe(false);
    expect(redirectsToHttps(undefined)).toBe(false);
  });
});

describe('hstsHeader', () => {
  it('reads the header a rule sets or adds, whatever its case', () => {
    const set = { filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }] } }] };
    const add = { filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { add: [{ name: 'strict-transport-security', value: 'max-age=300' }] } }] };
    expect(hstsHeader(set)).toBe('max-age=31536000');
    expect(hstsHeader(add)).toBe('max-age=300');
  });

  it('answers undefined for a rule that sends other headers only', () => {
    expect(hstsHeader({ filters: [{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'X-Frame-Options', value: 'DENY' }] } }] })).toBeUndefined();
    expect(hstsHeader({})).toBeUndefined();
  });
});
