/**
 * The readiness matrix as people read it: a terminal table for `npm run readiness`, and
 * READINESS.md beside each environment's output, so a pull request shows a criterion or a network
 * edge change. Both end with what a person does next: the commands that reach READY, then GO.
 */
import { evaluate, ROTATION_DAYS, type ReadinessInput } from './criteria';
import { decision, type CriterionResult, type Decision } from './result';
import { networkDiagram } from './diagram';
import { evidenceDir } from './runtime';
import { type KubeObject } from '../../contract';

/** One environment's verdict. */
export interface Readiness {
  readonly name: string;
  readonly location: string;
  readonly results: readonly CriterionResult[];
  readonly decision: Decision;
}

/** The exit code of `npm run readiness` for a verdict (the worst of several environments wins). */
export const EXIT_CODES: Readonly<Record<Decision, number>> = { GO: 0, 'NO-GO': 1, READY: 3 };

export function readiness(input: ReadinessInput): Readiness {
  const results = evaluate(input);
  return { name: input.name, location: input.location, results, decision: decision(results) };
}

function counts(results: readonly CriterionResult[]): string {
  const n = (s: string) => results.filter((r) => r.status === s).length;
  return `${n('PASS')} PASS, ${n('FAIL')} FAIL, ${n('WARN')} WARN, ${n('RUNTIME')} RUNTIME`;
}

/** The steps from this verdict to GO: fix what fails (to READY), then collect the evidence (to GO). */
export function nextSteps(r: Readiness): { toReady: Array<{ title: string; commands: readonly string[] }>; toGo: Array<{ title: string; command: string }>; check: string } {
  // A command two criteria share (a credential the receivers need) is listed once, under the first.
  const seen = new Set<string>();
  const toReady = r.results.filter((c) => c.blocking && c.status === 'FAIL').map((c) => {
    const commands = (c.fix ?? []).filter((command) => !seen.has(command));
    commands.forEach((command) => seen.add(command));
    return { title: c.fix?.length && commands.length === 0 ? `${c.title} (the commands above)` : c.title, commands };
  });
  const toGo = r.results.filter((c) => c.blocking && c.status === 'RUNTIME' && c.command).map((c) => ({ title: c.title, command: c.command! }));
  return { toReady, toGo, check: `npm run readiness -- ${r.location} --evidence ${evidenceDir(r.name)}` };
}

/** The terminal report: a line per criterion with its evidence indented under it, then the next steps. */
export function formatText(r: Readiness): string {
  const lines = [`${r.name} (${r.location}): ${r.decision}  [${counts(r.results)}]`];
  for (const c of r.results) {
    lines.push(`  ${c.status.padEnd(7)} ${(c.blocking ? 'blocking' : 'advisory').padEnd(8)}  ${c.title}`);
    for (const e of c.evidence) lines.push(`           - ${e}`);
    for (const command of c.fix ?? []) lines.push(`           fix: ${command}`);
    for (const command of c.command?.split('\n') ?? []) lines.push(`           collect: ${command}`);
  }
  if (r.decision !== 'GO') {
    const steps = nextSteps(r);
    if (steps.toReady.length) {
      lines.push('  to reach READY, fix what fails:');
      for (const s of steps.toReady) {
        lines.push(`    - ${s.title}`);
        for (const command of s.commands) lines.push(`        ${command}`);
      }
    }
    if (steps.toGo.length) {
      lines.push('  then, to reach GO, collect the evidence on the cluster and judge it:');
      for (const s of steps.toGo) lines.push(`    - ${s.title} (collect: above)`);
      lines.push(`        ${steps.check}`);
    }
  }
  return lines.join('\n');
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** READINESS.md: the matrix, the way to GO, and the network picture, from the output alone. */
export function formatMarkdown(r: Readiness, objects: readonly KubeObject[], manual: readonly KubeObject[]): string {
  const commandCell = (command: string) => (command.includes('\n') ? 'collect: the commands under "Reaching GO"' : `collect: \`${command}\``);
  const rows = r.results.map((c) => `| ${cell(c.title)} | ${c.status} | ${c.blocking ? 'yes' : 'no'} | ${cell([...c.evidence, ...(c.fix ?? []).map((f) => `fix: \`${f}\``), ...(c.command ? [commandCell(c.command)] : [])].join('<br>'))} |`);
  const steps = nextSteps(r);
  const next: string[] = [];
  if (r.decision !== 'GO') {
    next.push('## Reaching GO', '');
    if (steps.toReady.length) {
      next.push('To reach **READY**, fix every blocking criterion that fails:', '');
      for (const s of steps.toReady) {
        next.push(`- ${s.title}${s.commands.length ? ':' : ''}`);
        if (s.commands.length) next.push('', '  ```sh', ...s.commands.map((c) => `  ${c}`), '  ```', '');
      }
      next.push('', 'then run `npm run synth` and commit.', '');
    }
    next.push(`${steps.toReady.length ? 'Then, to' : 'To'} reach **GO**, collect the runtime evidence on the cluster (each command writes into \`${evidenceDir(r.name)}/\`) and judge it:`, '');
    for (const s of steps.toGo) next.push(`- ${s.title}:`, '', '  ```sh', ...s.command.split('\n').map((line) => `  ${line}`), '  ```', '');
    next.push('```sh', steps.check, '```', '');
  }
  return [
    `# Readiness: ${r.name}`,
    '',
    'Generated by `npm run synth` from this folder\'s manifests (do not edit). `npm run readiness` recomputes it from the files,',
    `judges rotation dates against today (every ${ROTATION_DAYS} days) and, given \`--evidence DIR\`, the runtime criteria on evidence from the cluster.`,
    '',
    `**${r.decision}**: ${counts(r.results)}. NO-GO: a blocking criterion fails. READY: everything the files decide passes; the RUNTIME criteria wait for evidence. GO: every blocking criterion passes, the runtime ones on evidence.`,
    '',
    '| Criterion | Status | Blocking | Evidence |',
    '|---|---|---|---|',
    ...rows,
    '',
    ...next,
    '## Network',
    '',
    'Connections the NetworkPolicies allow (every pod may also query CoreDNS on 53); arrows point from caller to callee.',
    '',
    '```mermaid',
    networkDiagram(objects, manual),
    '```',
    '',
  ].join('\n');
}
