/**
 * The synth command: validate every environment, render each into its folder, and swap the whole
 * output in only when all of them succeeded.
 */
import { loadEnvironments, type EnvironmentSource } from '../config/load';
import { ProblemsError } from '../config/problems';
import { GravlEnvironment } from '../gravl';
import { argoApplication, ARGOCD_DIR } from '../gitops/application';
import { formatMarkdown, readiness } from '../readiness/report';
import { renderEnvironment, toYaml, type RenderedEnvironment, type RenderedFile } from './render';
import { StagedOutput } from './write';

export interface SynthSummary {
  readonly environment: string;
  readonly objects: number;
  readonly files: number;
  readonly millis: number;
}

export interface RenderedOutput {
  readonly environments: RenderedEnvironment[];
  /** Files of dist/ outside the environment folders (the Argo CD Applications). */
  readonly shared: RenderedFile[];
  readonly summaries: SynthSummary[];
  /** Names of the environments under the production bar. */
  readonly production: string[];
}

/**
 * Validates and renders every environment, in memory. Throws ProblemsError on bad input.
 * `onRendered` receives each environment as soon as it is rendered (to start writing it).
 */
export function renderAll(sources: readonly EnvironmentSource[], onRendered?: (env: RenderedEnvironment) => void): RenderedOutput {
  const loaded = loadEnvironments(sources);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  const environments: RenderedEnvironment[] = [];
  const shared: RenderedFile[] = [];
  const summaries: SynthSummary[] = [];
  for (const env of loaded.environments) {
    const gitops = env.spec.gitops;
    const application = argoApplication({
      environment: env.name,
      namespace: env.spec.namespace,
      repoURL: gitops.repoURL,
      targetRevision: gitops.targetRevision ?? 'main',
      destinationServer: gitops.destinationServer ?? 'https://kubernetes.default.svc',
      project: gitops.project ?? 'default',
      argocdNamespace: gitops.argocdNamespace ?? 'argocd',
      automated: gitops.automated ?? true,
    });
    shared.push({ name: `${ARGOCD_DIR}/gravl-${env.name}.yaml`, content: toYaml([application]) });
    const start = performance.now();
    const rendered = withReadiness(renderEnvironment(env.name, new GravlEnvironment(env).app, env.file));
    environments.push(rendered);
    onRendered?.(rendered);
    summaries.push({ environment: env.name, objects: rendered.objects.length, files: rendered.files.length, millis: performance.now() - start });
  }
  return { environments, shared, summaries, production: loaded.environments.filter((e) => e.spec.production).map((e) => e.name) };
}

/** Adds READINESS.md: the go/no-go matrix and the network picture of the rendered files. */
function withReadiness(env: RenderedEnvironment): RenderedEnvironment {
  const verdict = readiness({ name: env.name, location: `dist/${env.name}`, files: env.manifests, manualFiles: env.manualManifests });
  return { ...env, files: [...env.files, { name: 'READINESS.md', content: formatMarkdown(verdict, env.objects, env.manualObjects) }] };
}

/** Renders every environment and replaces outDir with the result. */
export async function synth(sources: readonly EnvironmentSource[], outDir: string): Promise<SynthSummary[]> {
  const output = new StagedOutput(outDir);
  try {
    const { shared, summaries } = renderAll(sources, (env) => output.write(env.files.map((f) => ({ name: `${env.name}/${f.name}`, content: f.content }))));
    output.write(shared);
    await output.commit();
    return summaries;
  } catch (error) {
    output.abort();
    throw error;
  }
}

/** One line per environment: name, objects, files, time. */
export function formatSummary(outDir: string, summary: SynthSummary): string {
  return `${summary.environment.padEnd(12)} ${String(summary.objects).padStart(4)} objects ${String(summary.files).padStart(3)} files ${summary.millis.toFixed(0).padStart(5)} ms  -> ${outDir}/${summary.environment}/`;
}
