/**
 * The synth command: validate every environment, render each into its folder, and swap the whole
 * output in only when all of them succeeded.
 */
import { loadEnvironments, type EnvironmentSource } from '../config/load';
import { ProblemsError } from '../config/problems';
import { GravlEnvironment } from '../gravl';
import { applicationFile } from '../gitops/application';
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

export interface RenderOptions {
  /** Receives each environment as soon as it is rendered (to start writing it). */
  readonly onRendered?: (env: RenderedEnvironment) => void;
  /** Adds READINESS.md to each environment (what synth writes; the diff compares objects only). @default true */
  readonly readiness?: boolean;
}

/** Validates and renders every environment, in memory. Throws ProblemsError on bad input. */
export function renderAll(sources: readonly EnvironmentSource[], options: RenderOptions = {}): RenderedOutput {
  const loaded = loadEnvironments(sources);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  const environments: RenderedEnvironment[] = [];
  const shared: RenderedFile[] = [];
  const summaries: SynthSummary[] = [];
  for (const env of loaded.environments) {
    const { name, application } = applicationFile(env.name, env.spec);
    shared.push({ name, content: toYaml([application]) });
    const start = performance.now();
    const plain = renderEnvironment(env.name, new GravlEnvironment(env).app, env.file);
    const rendered = (options.readiness ?? true) ? withReadiness(plain) : plain;
    environments.push(rendered);
    options.onRendered?.(rendered);
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
    const { shared, summaries } = renderAll(sources, { onRendered: (env) => output.write(env.files.map((f) => ({ name: `${env.name}/${f.name}`, content: f.content }))) });
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
