/** The Backend component: the API, the frontend and the edge that routes the public host to them. */
import { describe, expect, it } from 'vitest';
import { environment, objects } from '../../support/render';
import { fileOf } from '../../support/waves';

describe.each(['staging', 'production'])('Backend in %s', (name) => {
  const env = environment(name);

  it('applies the API, then the frontend, and the edge that routes to both in the last wave, where its listener may wait for its certificate', () => {
    const wave = (kind: string, n: string) => env.manifests.findIndex((m) => m.name === fileOf(env, kind, n));
    const api = wave('Deployment', 'backend');
    const frontend = wave('Deployment', 'frontend');
    const route = env.manifests.findIndex((m) => m.objects.some((o) => o.kind === 'HTTPRoute' || o.kind === 'Ingress'));
    expect(api).toBeGreaterThanOrEqual(0);
    expect(frontend).toBe(api + 1);
    expect(route).toBe(env.manifests.length - 1);
    const waves = env.objects.map((o) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']));
    const edge = env.manifests[route]!.objects.map((o) => Number(o.metadata.annotations?.['argocd.argoproj.io/sync-wave']));
    expect(new Set(edge)).toEqual(new Set([Math.max(...waves)]));
  });

  it('routes /api to the API and / to the frontend', () => {
    // The routes that forward (the HTTP listener's route only redirects to HTTPS).
    const routes = [...objects(env, 'HTTPRoute'), ...objects(env, 'Ingress')].filter((r) => /backendRefs|"service"/.test(JSON.stringify(r.spec)));
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      const text = JSON.stringify(route.spec);
      expect(text, route.kind).toMatch(/"\/api"[\s\S]*"backend"|"backend"[\s\S]*"\/api"/);
      expect(text, route.kind).toContain('"frontend"');
    }
  });
});
