/**
 * Runs the real Prometheus and Alertmanager tools (promtool, amtool) on rendered configuration
 * written to temporary files. The tools are found on the PATH; when one is missing the calling test
 * fails with a message naming the package to install (a test never passes by skipping).
 */
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';

/** The tools these helpers run. */
export type Tool = 'promtool' | 'amtool';

/** The Debian package that ships each tool. */
const PACKAGES: Record<Tool, string> = { promtool: 'prometheus', amtool: 'prometheus-alertmanager' };

/** A finished tool run; `output` is stdout and stderr together, for assertion messages. */
export interface ToolRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly output: string;
}

/** The tool's absolute path on the PATH; throws a clear error when it is not installed. */
export function toolPath(tool: Tool): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, tool);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not in this folder
    }
  }
  const pkg = PACKAGES[tool];
  throw new Error(`${tool} is not on the PATH: install the Debian package ${pkg} (apt-get install -y ${pkg}); these tests check the configuration with the real ${tool}.`);
}

/**
 * Runs a tool and resolves with its exit code and output (never rejects on a non-zero exit). Rejects
 * when the tool is missing; the rejection is marked handled so that a run started in `beforeAll`
 * fails each test that awaits it, rather than the hook (which would report those tests as skipped).
 */
export function runTool(tool: Tool, args: readonly string[], cwd?: string): Promise<ToolRun> {
  const run = new Promise<ToolRun>((resolve, reject) => {
    const file = toolPath(tool);
    // HOME points at the scratch folder so that no user configuration of amtool is read.
    execFile(file, [...args], { cwd, timeout: 15_000, encoding: 'utf8', env: { ...process.env, HOME: cwd ?? os.tmpdir() } }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') {
        reject(new Error(`${tool} ${args.join(' ')} could not run: ${error.message}`));
        return;
      }
      const code = error ? (error.code as number) : 0;
      resolve({ code, stdout, stderr, output: `${tool} ${args.join(' ')} exited ${code}\n${stdout}${stderr}` });
    });
  });
  run.catch(() => undefined);
  return run;
}

/** A fresh temporary folder; remove it with {@link removeDir}. */
export function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `gravl-${prefix}-`));
}

/** Removes a folder made by {@link scratchDir}. */
export function removeDir(dir: string): void {
  fs.rmSync(dir, { recursive: true, force: true });
}

/** Writes a value as YAML (no line folding, so expressions read as written) and returns the path. */
export function writeYaml(dir: string, name: string, value: unknown): string {
  const file = path.join(dir, name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, stringify(value, { lineWidth: 0 }));
  return file;
}

/** One edit {@link withStandIns} made, by its path in the config (`scrape_configs[6].tls_config.ca_file`). */
export interface StandInEdit {
  readonly path: string;
  readonly kind: 'discovery' | 'file';
}

/**
 * A copy of a prometheus.yml that a promtool built without Kubernetes service discovery can check:
 * every `kubernetes_sd_configs` block becomes a `static_configs` block with one target, and every
 * string equal to a key of `files` (in-cluster paths: token, CA, rule files) becomes its value.
 * Everything else is kept as rendered. Returns the copy and the list of edits made.
 */
export function withStandIns(config: unknown, files: Readonly<Record<string, string>>): { config: unknown; edits: StandInEdit[] } {
  const edits: StandInEdit[] = [];
  const visit = (value: unknown, at: string): unknown => {
    if (typeof value === 'string' && Object.prototype.hasOwnProperty.call(files, value)) {
      edits.push({ path: at, kind: 'file' });
      return files[value];
    }
    if (Array.isArray(value)) return value.map((v, i) => visit(v, `${at}[${i}]`));
    if (value !== null && typeof value === 'object') {
      const out: Record<string, unknown> = {};
      for (const [key, v] of Object.entries(value)) {
        const child = at ? `${at}.${key}` : key;
        if (key === 'kubernetes_sd_configs') {
          edits.push({ path: child, kind: 'discovery' });
          out.static_configs = [{ targets: ['kubernetes-sd.invalid:443'] }];
        } else {
          out[key] = visit(v, child);
        }
      }
      return out;
    }
    return value;
  };
  return { config: visit(config, ''), edits };
}

/** `amtool config routes test`: the receivers an alert with these labels reaches, in tree order. */
export async function amtoolRoutes(configFile: string, labels: Readonly<Record<string, string>>): Promise<{ receivers: string[]; run: ToolRun }> {
  const run = await runTool('amtool', ['config', 'routes', 'test', `--config.file=${configFile}`, ...Object.entries(labels).map(([k, v]) => `${k}=${v}`)], path.dirname(configFile));
  const receivers = run.code === 0 ? run.stdout.trim().split(',').map((r) => r.trim()).filter(Boolean) : [];
  return { receivers, run };
}

/**
 * A copy of an alertmanager.yml that the amtool on this machine (0.25, from Debian) can check:
 * webhook `url_file`, which that version does not know yet (the pinned Alertmanager does), becomes
 * `url` with the stand-in URL given. Everything else is kept as rendered; callers assert the
 * rendered `url_file` themselves.
 */
export function withWebhookUrlStandIn(config: unknown, url = 'https://dead-mans-switch.invalid/ping/stand-in'): unknown {
  const copy = structuredClone(config) as { receivers?: { webhook_configs?: Record<string, unknown>[] }[] };
  for (const receiver of copy.receivers ?? []) {
    for (const hook of receiver.webhook_configs ?? []) {
      if (hook.url_file !== undefined) {
        delete hook.url_file;
        hook.url = url;
      }
    }
  }
  return copy;
}
