/**
 * The edge: a Gateway API Gateway with its HTTPRoutes by default (production's must be), the legacy
 * Ingress for a cluster that still runs ingress-nginx, and both side by side during a migration.
 */
import { describe, expect, it } from 'vitest';
import { http01Solver } from '../../../lib/system/backend/edge';
import { committedText, edit, environment, object, objects, problemsOf, renderTexts } from '../../support/render';

const stagingWith = (change: (doc: any) => void) => renderTexts({ staging: edit(committedText('staging'), change) })[0]!;

describe('the Gateway API edge', () => {
  it.each([
    ['staging', 'gravl-staging', 'staging.gravl.app', 'letsencrypt-staging'],
    ['production', 'gravl-prod', 'gravl.app', 'letsencrypt-prod'],
  ])('serves %s on an HTTPS listener for its host, with the certificate cert-manager issues from the Gateway', (name, namespace, host, issuer) => {
    const env = environment(name);
    expect(objects(env, 'Ingress')).toEqual([]);
    const gateway = object(env, 'Gateway', 'gravl');
    expect(gateway.apiVersion).toBe('gateway.networking.k8s.io/v1');
    expect(gateway.metadata.namespace).toBe(namespace);
    expect(gateway.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe(issuer);
    expect((gateway.spec as any).gatewayClassName).toBe('eg');
    expect((gateway.spec as any).listeners).toEqual([
      { name: 'http', protocol: 'HTTP', port: 80, hostname: host, allowedRoutes: { namespaces: { from: 'Same' } } },
      {
        name: 'https',
        protocol: 'HTTPS',
        port: 443,
        hostname: host,
        tls: { mode: 'Terminate', certificateRefs: [{ kind: 'Secret', name: 'gravl-tls' }] },
        allowedRoutes: { namespaces: { from: 'Same' } },
      },
    ]);
  });

  it.each(['staging', 'production'])('%s redirects plain HTTP to HTTPS with an HTTPRoute filter on the HTTP listener, and serves nothing else there', (name) => {
    const redirect = object(environment(name), 'HTTPRoute', 'gravl-https-redirect');
    expect((redirect.spec as any).parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gravl', sectionName: 'http' }]);
    expect((redirect.spec as any).rules).toEqual([{ filters: [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https', statusCode: 301 } }] }]);
  });

  it.each(['staging', 'production'])('%s routes /api to the backend Service and / to the frontend Service on the HTTPS listener', (name) => {
    const route = object(environment(name), 'HTTPRoute', 'gravl');
    const spec = route.spec as any;
    expect(spec.parentRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gravl', sectionName: 'https' }]);
    expect(spec.rules.map((r: any) => [r.matches[0].path, r.backendRefs])).toEqual([
      [{ type: 'PathPrefix', value: '/api' }, [{ kind: 'Service', name: 'backend', port: 3000 }]],
      [{ type: 'PathPrefix', value: '/' }, [{ kind: 'Service', name: 'frontend', port: 80 }]],
    ]);
  });

  it('sends a year of HSTS for gravl.app in production, without includeSubDomains (staging.gravl.app is not trusted)', () => {
    const spec = object(environment('production'), 'HTTPRoute', 'gravl').spec as any;
    for (const rule of spec.rules) {
      expect(rule.filters).toEqual([{ type: 'ResponseHeaderModifier', responseHeaderModifier: { set: [{ name: 'Strict-Transport-Security', value: 'max-age=31536000' }] } }]);
    }
  });

  it('sends no HSTS in staging, whose Let\'s Encrypt staging certificate browsers do not trust', () => {
    const spec = object(environment('staging'), 'HTTPRoute', 'gravl').spec as any;
    for (const rule of spec.rules) expect(rule.filters).toBeUndefined();
  });

  it('writes the header the environment asks for, includeSubDomains and preload included', () => {
    const env = stagingWith((doc) => doc.setIn(['edge', 'hsts'], doc.createNode({ maxAge: 63072000, includeSubDomains: true, preload: true })));
    const value = (object(env, 'HTTPRoute', 'gravl').spec as any).rules[0].filters[0].responseHeaderModifier.set[0].value;
    expect(value).toBe('max-age=63072000; includeSubDomains; preload');
  });

  it('solves ACME HTTP-01 through the Gateway\'s HTTP listener', () => {
    for (const name of ['staging', 'production']) {
      const env = environment(name);
      const namespace = object(env, 'Gateway', 'gravl').metadata.namespace;
      for (const issuer of ['letsencrypt-prod', 'letsencrypt-staging']) {
        expect((object(env, 'ClusterIssuer', issuer).spec as any).acme.solvers[0]).toEqual({
          http01: { gatewayHTTPRoute: { parentRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gravl', namespace, sectionName: 'http' }] } },
        });
      }
    }
  });

  it('uses the GatewayClass and data plane the file names', () => {
    const env = stagingWith((doc) => {
      doc.setIn(['edge', 'gateway', 'className'], 'cilium');
      doc.setIn(['edge', 'gateway', 'dataPlane'], doc.createNode({ namespace: 'kube-system', podLabels: { 'k8s-app': 'cilium' } }));
    });
    const gateway = object(env, 'Gateway', 'gravl');
    expect((gateway.spec as any).gatewayClassName).toBe('cilium');
    expect(gateway.metadata.annotations?.['gravl.app/data-plane']).toBe('kube-system/k8s-app=cilium');
    const backend = objects(env, 'NetworkPolicy').find((p) => p.metadata.name === 'backend')!;
    expect(JSON.stringify((backend.spec as any).ingress)).toContain('"k8s-app":"cilium"');
  });
});

describe('the legacy Ingress', () => {
  it('is rendered for a cluster that still runs ingress-nginx, with the issuer, the redirect and its solver', () => {
    const env = stagingWith((doc) => doc.setIn(['edge', 'kind'], 'ingress'));
    expect(objects(env, 'Gateway')).toEqual([]);
    expect(objects(env, 'HTTPRoute')).toEqual([]);
    const ingress = object(env, 'Ingress', 'gravl');
    expect(ingress.metadata.annotations).toMatchObject({
      'cert-manager.io/cluster-issuer': 'letsencrypt-staging',
      'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true',
      'gravl.app/data-plane': 'ingress-nginx/app.kubernetes.io/name=ingress-nginx',
    });
    expect((ingress.spec as any).ingressClassName).toBe('nginx');
    expect((ingress.spec as any).tls).toEqual([{ hosts: ['staging.gravl.app'], secretName: 'gravl-tls' }]);
    expect((ingress.spec as any).rules[0].http.paths.map((p: any) => [p.path, p.backend.service.name, p.backend.service.port.number])).toEqual([
      ['/api', 'backend', 3000],
      ['/', 'frontend', 80],
    ]);
    expect((object(env, 'ClusterIssuer', 'letsencrypt-staging').spec as any).acme.solvers[0]).toEqual({ http01: { ingress: { ingressClassName: 'nginx' } } });
  });
});

describe('both edges during a migration', () => {
  const env = stagingWith((doc) => doc.setIn(['edge', 'kind'], 'both'));

  it('serves the host from the Gateway and the Ingress side by side, one certificate issued through the Ingress', () => {
    const gateway = object(env, 'Gateway', 'gravl');
    const ingress = object(env, 'Ingress', 'gravl');
    // One Certificate per Secret: while DNS still points at the Ingress, it issues and the Gateway serves the same Secret.
    expect(gateway.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBeUndefined();
    expect(ingress.metadata.annotations?.['cert-manager.io/cluster-issuer']).toBe('letsencrypt-staging');
    expect((gateway.spec as any).listeners[1].tls.certificateRefs[0].name).toBe((ingress.spec as any).tls[0].secretName);
    expect(objects(env, 'HTTPRoute').map((r) => r.metadata.name).sort()).toEqual(['gravl', 'gravl-https-redirect']);
    expect((object(env, 'ClusterIssuer', 'letsencrypt-prod').spec as any).acme.solvers[0]).toEqual({ http01: { ingress: { ingressClassName: 'nginx' } } });
  });

  it('keeps answering challenges where DNS points until the switch', () => {
    const settings = { gateway: { className: 'eg', dataPlane: { kind: 'pods' as const, description: '', namespace: 'g', podLabels: { a: 'b' } } }, ingress: { className: 'nginx', controller: { kind: 'pods' as const, description: '', namespace: 'i', podLabels: { c: 'd' } } } };
    expect(http01Solver({ ...settings, kind: 'both' }, 'ns')).toEqual({ kind: 'ingress', ingressClassName: 'nginx' });
    expect(http01Solver({ ...settings, kind: 'gateway' }, 'ns')).toEqual({ kind: 'gateway', gateway: { name: 'gravl', namespace: 'ns', sectionName: 'http' } });
  });
});

describe('edge settings in the environment file', () => {
  it('rejects production without a year of HSTS, naming the field', () => {
    const none = edit(committedText('production'), (doc) => doc.deleteIn(['edge', 'hsts']));
    expect(problemsOf({ production: none })).toEqual([expect.stringMatching(/production\.yaml.*: edge\.hsts: found nothing, expected the Strict-Transport-Security of production \(maxAge of at least 31536000\)$/)]);
    const short = edit(committedText('production'), (doc) => doc.setIn(['edge', 'hsts', 'maxAge'], 86400));
    expect(problemsOf({ production: short })).toEqual([expect.stringMatching(/edge\.hsts\.maxAge: found 86400, expected at least 31536000 \(a year\) in production$/)]);
  });

  it('rejects includeSubDomains while another environment serves a subdomain of the host', () => {
    const production = edit(committedText('production'), (doc) => doc.setIn(['edge', 'hsts', 'includeSubDomains'], true));
    expect(problemsOf({ production, staging: committedText('staging') })).toEqual([
      expect.stringMatching(/production\.yaml: edge\.hsts\.includeSubDomains: found true, which makes browsers refuse staging\.gravl\.app .*expected false while another environment serves a subdomain of gravl\.app$/),
    ]);
  });

  it('rejects preload without includeSubDomains', () => {
    const text = edit(committedText('production'), (doc) => doc.setIn(['edge', 'hsts', 'preload'], true));
    expect(problemsOf({ production: text })).toEqual([expect.stringMatching(/edge\.hsts\.preload: found true, expected includeSubDomains: true and maxAge of at least 31536000/)]);
  });

  it('rejects the Gateway API edge on a cluster older than Kubernetes 1.26', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['cluster', 'kubernetesVersion'], '1.25'));
    expect(problemsOf({ staging: text })).toEqual([expect.stringMatching(/cluster\.kubernetesVersion: found "1\.25", expected 1\.26 or later for the Gateway API edge/)]);
    const legacy = edit(text, (doc) => doc.setIn(['edge', 'kind'], 'ingress'));
    expect(problemsOf({ staging: legacy })).toEqual([]);
  });

  it('rejects an unknown edge kind', () => {
    const text = edit(committedText('staging'), (doc) => doc.setIn(['edge', 'kind'], 'nginx'));
    expect(problemsOf({ staging: text })).toEqual([expect.stringMatching(/edge\.kind: found "nginx", expected one of: gateway, ingress, both|edge\.kind: .*gateway.*ingress.*both/)]);
  });
});
