import { describe, expect, it } from 'vitest';
import { edit, environment, object, renderTexts } from './support/render';
import { committedText } from './support/render';

describe('ingress gravl', () => {
  it.each([
    ['staging', 'staging.gravl.app', 'letsencrypt-staging'],
    ['production', 'gravl.app', 'letsencrypt-prod'],
  ])('serves %s on %s under TLS issued by %s', (name, host, issuer) => {
    const ingress = object(environment(name), 'Ingress', 'gravl');
    expect(ingress.metadata.annotations).toMatchObject({
      'cert-manager.io/cluster-issuer': issuer,
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'nginx.ingress.kubernetes.io/ssl-redirect': 'true',
    });
    expect((ingress.spec as any).tls).toEqual([{ hosts: [host], secretName: 'gravl-tls' }]);
    expect((ingress.spec as any).ingressClassName).toBe('nginx');
  });

  it('routes /api to backend:3000 and / to frontend:80', () => {
    const ingress = object(environment('staging'), 'Ingress', 'gravl');
    const paths = (ingress.spec as any).rules[0].http.paths.map((p: any) => [p.path, p.pathType, p.backend.service.name, p.backend.service.port.number]);
    expect(paths).toEqual([
      ['/api', 'Prefix', 'backend', 3000],
      ['/', 'Prefix', 'frontend', 80],
    ]);
  });

  it('follows the issuer the environment file names', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['tls', 'clusterIssuer'], 'letsencrypt-prod'));
    const [env] = renderTexts({ staging: text });
    expect(object(env!, 'Ingress', 'gravl').metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt-prod');
  });
});
