import type { RenderedEnvironment } from '../../lib/render/render';

/** Each rendered file (apply order, then manual/) and the `Kind name` of every object in it. */
export function waves(env: RenderedEnvironment): Record<string, string[]> {
  return Object.fromEntries([...env.manifests, ...env.manualManifests].map((m) => [m.name, m.objects.map((o) => `${o.kind} ${o.metadata.name}`)]));
}

/** The file an object is rendered in. */
export function fileOf(env: RenderedEnvironment, kind: string, name: string): string | undefined {
  return Object.entries(waves(env)).find(([, ids]) => ids.includes(`${kind} ${name}`))?.[0];
}
