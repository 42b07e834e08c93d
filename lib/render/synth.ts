/**
 * The synth command: validate every environment, render each into its folder, and swap the whole
 * output in only when all of them succeeded.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { loadEnvironments, type Environment, type EnvironmentSource } from '../model/load';
import { ProblemsError, type Problem } from '../model/problems';
import { GravlEnvironment } from '../system/gravl';
import { argocdOutput } from './applications';
import { environmentDirs } from '../review/inspect/dist';
import { environmentName } from '../model/load';
import { formatMarkdown, readiness } from '../review/readiness/report';
import { lazyFile, renderEnvironment, toYaml, type RenderedEnvironment } from './render';
import { StagedOutput } from './write';
import { ARGOCD_DIR, READINESS_FILE, type RenderedFile } from '../contract';

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
  // A problem found while rendering one environment (a secret nobody sealed) must not hide the
  // others': every environment is rendered, and the problems of all of them are reported at once.
  const problems: Problem[] = [];
  for (const env of loaded.environments) {
    const start = performance.now();
    let plain: RenderedEnvironment;
    try {
      plain = renderEnvironment(env.name, new GravlEnvironment(env).app, env.file);
    } catch (error) {
      if (!(error instanceof ProblemsError)) throw error;
      problems.push(...error.problems);
      continue;
    }
    const rendered = (options.readiness ?? true) ? withReadiness(plain) : plain;
    environments.push(rendered);
    if (problems.length === 0) options.onRendered?.(rendered);
    summaries.push({ environment: env.name, objects: rendered.objects.length, files: rendered.files.length, millis: performance.now() - start });
  }
  if (problems.length > 0) throw new ProblemsError(problems);
  // The Argo CD objects come last: each project is derived from its environment's objects.
  const argocd = argocdOutput(loaded.environments.map((env) => ({ name: env.name, spec: env.spec, objects: environments.find((e) => e.name === env.name)!.objects })));
  shared.push(...argocd.map((f) => lazyFile(f.name, () => toYaml(f.objects))));
  return { environments, shared, summaries, production: loaded.environments.filter((e) => e.spec.production).map((e) => e.name) };
}

/**
 * One environment as synth writes it: its files below dist/ (dist/<env>/ and its Argo CD files in
 * dist/argocd/), and how many objects it applies. Throws ProblemsError.
 */
export function renderEnvironmentFiles(env: Environment): { files: RenderedFile[]; objects: number } {
  const rendered = withReadiness(renderEnvironment(env.name, new GravlEnvironment(env).app, env.file));
  const argocd = argocdOutput([{ name: env.name, spec: env.spec, objects: rendered.objects }]);
  return {
    files: [...rendered.files.map((f) => ({ name: `${env.name}/${f.name}`, content: f.content })), ...argocd.map((f) => ({ name: f.name, content: toYaml(f.objects) }))],
    objects: rendered.objects.length,
  };
}

/** Adds READINESS.md: the go/no-go matrix and the network picture of the rendered files (judged when the file is read). */
export function withReadiness(env: RenderedEnvironment): RenderedEnvironment {
  const markdown = () => formatMarkdown(readiness({ name: env.name, location: `dist/${env.name}`, files: env.manifests, manualFiles: env.manualManifests }), env.objects, env.manualObjects);
  return { ...env, files: [...env.files, lazyFile(READINESS_FILE, markdown)] };
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
    await output.abort();
    throw error;
  }
}

/** What synth is about to replace, and which environments the user agreed to see disappear. */
export interface RemovalCheck {
  readonly outDir: string;
  /** The output folder as the user named it, for messages. */
  readonly shownOut: string;
  readonly environmentsDir: string;
  readonly sources: readonly EnvironmentSource[];
  /** Environments named by --remove. */
  readonly removing: readonly string[];
}

/**
 * Refuses to drop an environment from the output unless --remove names it: its folder would go,
 * and with it the Argo CD Application, whose deletion in the cluster prunes everything it deployed.
 * Throws ProblemsError, before anything is written.
 */
export function checkRemovals(check: RemovalCheck): void {
  const kept = new Set(check.sources.map((s) => environmentName(s.file)));
  const rendered = fs.existsSync(check.outDir) ? environmentDirs(check.outDir).map((d) => path.basename(d)) : [];
  const problems: Problem[] = [];
  for (const name of rendered) {
    if (kept.has(name) || check.removing.includes(name)) continue;
    problems.push({
      file: `${check.shownOut}/${name}/`,
      path: '',
      message:
        `${check.environmentsDir}/${name}.yaml is gone, so synth would delete ${check.shownOut}/${name}/ and ${check.shownOut}/${ARGOCD_DIR}/gravl-${name}.yaml (with gravl-${name}-root.yaml); ` +
        `once that is merged, delete gravl-${name}-root and then gravl-${name} in that cluster's Argo CD, which prunes what it deployed but the namespaces and volumes (the root never prunes: docs/deploying.md, "Removing an environment"). ` +
        `If the environment is to go, confirm with: npm run synth -- --remove ${name}; otherwise restore ${check.environmentsDir}/${name}.yaml`,
    });
  }
  for (const name of check.removing) {
    if (kept.has(name)) problems.push({ file: '--remove', path: '', message: `found ${JSON.stringify(name)}, whose file ${check.environmentsDir}/${name}.yaml still exists; expected an environment whose file was deleted` });
    else if (!rendered.includes(name)) problems.push({ file: '--remove', path: '', message: `found ${JSON.stringify(name)}, which ${check.shownOut}/ does not hold; expected one of: ${rendered.filter((r) => !kept.has(r)).join(', ') || 'none (no environment is being removed)'}` });
  }
  if (problems.length > 0) throw new ProblemsError(problems);
}

/** One line per environment: name, objects, files, time. */
export function formatSummary(outDir: string, summary: SynthSummary): string {
  return `${summary.environment.padEnd(12)} ${String(summary.objects).padStart(4)} objects ${String(summary.files).padStart(3)} files ${summary.millis.toFixed(0).padStart(5)} ms  -> ${outDir}/${summary.environment}/`;
}
