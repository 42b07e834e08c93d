/**
 * The synth command: validate every environment, render each into its folder, and swap the whole
 * output in only when all of them succeeded.
 */
import { loadEnvironments, type EnvironmentSource } from '../config/load';
import { ProblemsError } from '../config/problems';
import { GravlEnvironment } from '../gravl';
import { renderEnvironment, type RenderedEnvironment } from './render';
import { writeAtomically } from './write';

export interface SynthSummary {
  readonly environment: string;
  readonly objects: number;
  readonly files: number;
  readonly millis: number;
}

/** Validates and renders every environment, in memory. Throws ProblemsError on bad input. */
export function renderAll(sources: readonly EnvironmentSource[]): { environments: RenderedEnvironment[]; summaries: SynthSummary[] } {
  const loaded = loadEnvironments(sources);
  if (!loaded.ok) throw new ProblemsError(loaded.problems);
  const environments: RenderedEnvironment[] = [];
  const summaries: SynthSummary[] = [];
  for (const env of loaded.environments) {
    const start = performance.now();
    const rendered = renderEnvironment(env.name, new GravlEnvironment(env).app, env.file);
    environments.push(rendered);
    summaries.push({ environment: env.name, objects: rendered.objects.length, files: rendered.files.length, millis: performance.now() - start });
  }
  return { environments, summaries };
}

/** Renders every environment and replaces outDir with the result. */
export function synth(sources: readonly EnvironmentSource[], outDir: string): SynthSummary[] {
  const { environments, summaries } = renderAll(sources);
  writeAtomically(outDir, environments);
  return summaries;
}

/** One line per environment: name, objects, files, time. */
export function formatSummary(outDir: string, summary: SynthSummary): string {
  return `${summary.environment.padEnd(12)} ${String(summary.objects).padStart(4)} objects ${String(summary.files).padStart(3)} files ${summary.millis.toFixed(0).padStart(5)} ms  -> ${outDir}/${summary.environment}/`;
}
