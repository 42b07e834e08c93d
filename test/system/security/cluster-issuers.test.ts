import { describe, expect, it } from 'vitest';
import { committedText, edit, environment, object, objects, renderTexts } from '../../support/render';

describe('ClusterIssuers', () => {
  it.each(['staging', 'production'])('%s defines letsencrypt-prod, letsencrypt-staging, selfsigned-issuer and internal-ca-issuer', (name) => {
    const names = objects(environment(name), 'ClusterIssuer').map((o) => o.metadata.name).sort();
    expect(names).toEqual(['internal-ca-issuer', 'letsencrypt-prod', 'letsencrypt-staging', 'selfsigned-issuer']);
  });

  it('solves ACME HTTP-01 through the edge, against the right Let\'s Encrypt servers', () => {
    const env = environment('staging');
    const prod = object(env, 'ClusterIssuer', 'letsencrypt-prod').spec as any;
    const staging = object(env, 'ClusterIssuer', 'letsencrypt-staging').spec as any;
    expect(prod.acme.server).toBe('https://acme-v02.api.letsencrypt.org/directory');
    expect(staging.acme.server).toBe('https://acme-staging-v02.api.letsencrypt.org/directory');
    for (const spec of [prod, staging]) {
      expect(spec.acme.email).toBe('ops@gravl.app');
      expect(spec.acme.solvers).toEqual([{ http01: { gatewayHTTPRoute: { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gravl', namespace: 'gravl-staging', sectionName: 'http' }] } } }]);
    }
  });

  it('adds DNS-01 through a Cloudflare API token for wildcard names where the file enables it', () => {
    const spec = object(environment('production'), 'ClusterIssuer', 'letsencrypt-prod').spec as any;
    expect(spec.acme.solvers).toContainEqual({
      selector: { dnsNames: ['*.gravl.app'] },
      dns01: { cloudflare: { apiTokenSecretRef: { name: 'cloudflare-api-token', key: 'api-token' } } },
    });
    expect(Object.keys(spec.acme.solvers[0].http01)).toEqual(['gatewayHTTPRoute']);
  });

  it('emits the internal CA issuer together with the Certificate that produces its CA secret, applied before it', () => {
    const env = environment('staging');
    const issuer = object(env, 'ClusterIssuer', 'internal-ca-issuer');
    const secretName = (issuer.spec as any).ca.secretName;
    const certificate = objects(env, 'Certificate').find((c) => (c.spec as any).secretName === secretName);
    expect(certificate).toBeDefined();
    expect(certificate!.metadata.namespace).toBe('cert-manager');
    expect(certificate!.spec).toMatchObject({ isCA: true, issuerRef: { name: 'selfsigned-issuer', kind: 'ClusterIssuer' } });
    expect(env.objects.indexOf(certificate!)).toBeLessThan(env.objects.indexOf(issuer));
  });

  it('emits neither the CA issuer nor its certificate when the internal CA is switched off', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['features', 'internalCa'], false));
    const [env] = renderTexts({ staging: text });
    expect(objects(env!, 'ClusterIssuer', 'internal-ca-issuer')).toHaveLength(0);
    expect(objects(env!, 'Certificate')).toHaveLength(0);
  });
});
