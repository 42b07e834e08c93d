/**
 * The two renderings of a diff report: plain text for a terminal, and Markdown for a pull-request
 * comment.
 */
import { stringify } from 'yaml';
import { allRisks, objectsOf, type ChangedObject, type DiffReport, type EnvironmentDiff, type FieldChange, type ObjectDiff } from './compare';
import type { RiskFlag } from './risk';

/** What an absent field shows as. */
export const ABSENT = '(absent)';

/** GitHub refuses comments longer than 65536 characters; this leaves room for a header. */
const MARKDOWN_LIMIT = 60_000;

/**
 * The report as text: risk flags first (most severe first) under a `RISK` heading, then per
 * environment one line per object (`+` added, `-` removed, `~` changed) with the changed fields
 * indented beneath. One line saying so when nothing differs.
 */
export function formatText(report: DiffReport): string {
  const lines: string[] = [];
  if (!report.environments.some((e) => e.status !== 'unchanged')) {
    const names = report.environments.map((e) => e.name);
    return `no change: every object${names.length ? ` of ${names.join(', ')}` : ''} is as rendered before\n`;
  }
  const risks = allRisks(report);
  if (risks.length > 0) {
    lines.push(`RISK: ${count(risks.length, 'risky change')}`);
    for (const r of risks) lines.push(`  ! ${formatRisk(r)}`);
    lines.push('');
  }
  for (const env of report.environments) {
    if (env.status === 'unchanged') continue;
    lines.push(`${env.name}: ${summary(env)}`);
    const { versionOnly, rest } = splitVersionOnly(env.objects);
    for (const o of rest) {
      lines.push(`  ${SIGN[o.change]} ${o.id}`);
      if (o.change === 'changed') for (const f of o.fields) lines.push(`      ${formatField(f)}`);
    }
    for (const line of versionOnlyLines(versionOnly)) lines.push(`  ~ ${line}`);
    lines.push('');
  }
  return lines.length === 0 ? '' : lines.join('\n');
}

/**
 * The report as a pull-request comment: a summary table (added, removed, changed and risky counts
 * per environment), the risk flags, and per environment the added and removed objects and each
 * changed object's fields in a collapsible `<details>` block. Says "no changes" when nothing
 * differs. A report too long for a comment keeps everything but the field details.
 */
export function formatMarkdown(report: DiffReport): string {
  const full = markdown(report, true);
  return full.length <= MARKDOWN_LIMIT ? full : markdown(report, false);
}

/** `path: old -> new`, with `(absent)` for a side that does not have the field. */
export function formatField(field: FieldChange): string {
  if (field.sealed && field.old !== undefined && field.new !== undefined) return `${field.path}: re-sealed`;
  const show = (v: unknown): string => ((field.redacted || field.sealed) && typeof v === 'string' ? v : formatValue(v));
  return `${field.path}: ${show(field.old)} -> ${show(field.new)}`;
}

/** A value on one line: scalars as YAML writes them (strings quoted where they could be misread), maps and lists in flow style. */
export function formatValue(value: unknown): string {
  if (value === undefined) return ABSENT;
  if (typeof value === 'string' && (value.includes(' -> ') || value === ABSENT)) return JSON.stringify(value);
  const text = stringify(value, { collectionStyle: 'flow', lineWidth: 0, aliasDuplicateObjects: false }).trimEnd();
  return text.includes('\n') ? JSON.stringify(value) : text;
}

const SIGN: Readonly<Record<ObjectDiff['change'], string>> = { added: '+', removed: '-', changed: '~' };

/** A label every object carries that follows the release: changed alone, it says nothing object by object. */
const VERSION_LABEL = /labels\["app\.kubernetes\.io\/version"\]$/;

/**
 * The changed objects whose only change is their `app.kubernetes.io/version` label (a release bump
 * relabels every object), apart from the rest, so that a release reads as one line and not a page.
 */
function splitVersionOnly(objects: readonly ObjectDiff[]): { versionOnly: ChangedObject[]; rest: ObjectDiff[] } {
  const versionOnly = objects.filter((o): o is ChangedObject => o.change === 'changed' && o.fields.every((f) => VERSION_LABEL.test(f.path)));
  return { versionOnly, rest: objects.filter((o) => !versionOnly.includes(o as ChangedObject)) };
}

/** One line per old -> new version: how many objects, and the first few of them. */
function versionOnlyLines(objects: readonly ChangedObject[]): string[] {
  const groups = new Map<string, ChangedObject[]>();
  for (const o of objects) {
    const key = `${formatValue(o.fields[0]!.old)} -> ${formatValue(o.fields[0]!.new)}`;
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  return [...groups].map(([change, list]) => {
    const named = list.slice(0, 3).map((o) => o.id).join(', ');
    return `${count(list.length, 'object')} with only their app.kubernetes.io/version label changed, ${change} (${named}${list.length > 3 ? `, and ${list.length - 3} more` : ''})`;
  });
}

function summary(env: EnvironmentDiff): string {
  const counts = `${objectsOf(env, 'added').length} added, ${objectsOf(env, 'removed').length} removed, ${objectsOf(env, 'changed').length} changed`;
  if (env.status === 'added') return `new environment (${counts})`;
  if (env.status === 'removed') return `environment removed (${counts})`;
  return counts;
}

function markdown(report: DiffReport, details: boolean): string {
  const out: string[] = ['### Rendered manifests: object diff', ''];
  const differing = report.environments.filter((e) => e.status !== 'unchanged');
  if (differing.length === 0) {
    const names = report.environments.map((e) => code(e.name)).join(', ');
    out.push(`No changes: every object is the same${names ? ` in ${names}` : ''}.`);
    return out.join('\n') + '\n';
  }
  out.push('| environment | added | removed | changed | risky |', '| --- | ---: | ---: | ---: | ---: |');
  for (const env of report.environments) {
    const label = env.status === 'added' ? ' (new)' : env.status === 'removed' ? ' (removed)' : '';
    const risky = env.risks.length > 0 ? `⚠️ **${env.risks.length}**` : '0';
    out.push(`| ${code(env.name)}${label} | ${objectsOf(env, 'added').length} | ${objectsOf(env, 'removed').length} | ${objectsOf(env, 'changed').length} | ${risky} |`);
  }
  out.push('');
  const risks = allRisks(report);
  if (risks.length > 0) {
    out.push(`#### ⚠️ Risky changes (${risks.length})`, '');
    for (const r of risks) out.push(`- ⚠️ **${r.severity}** ${code(r.environment)} ${code(r.objectId)}: ${escapeMarkdown(r.message)}`);
    out.push('');
  }
  for (const env of differing) {
    out.push(`#### ${code(env.name)}: ${escapeMarkdown(summary(env))}`, '');
    const addedOrRemoved = env.objects.filter((o) => o.change !== 'changed');
    if (addedOrRemoved.length > 0) out.push(...fence(addedOrRemoved.map((o) => `${SIGN[o.change]} ${o.id}`).join('\n'), 'diff'), '');
    const { versionOnly } = splitVersionOnly(env.objects);
    for (const line of versionOnlyLines(versionOnly)) out.push(`- ${escapeMarkdown(line)}`, '');
    for (const o of objectsOf(env, 'changed').filter((c) => !versionOnly.includes(c))) {
      const warn = env.risks.some((r) => r.objectId === o.id) ? '⚠️ ' : '';
      const title = `${warn}<code>~ ${escapeHtml(o.id)}</code>: ${count(o.fields.length, 'field')}`;
      if (!details) {
        out.push(`- ${title}`);
        continue;
      }
      out.push('<details>', `<summary>${title}</summary>`, '', ...fence(o.fields.map(formatField).join('\n'), 'text'), '', '</details>', '');
    }
    if (!details && objectsOf(env, 'changed').length > 0) out.push('');
  }
  if (!details) out.push('_Field details are left out: they would make this comment too long. `npm run diff` prints them._', '');
  return out.join('\n');
}

function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

/** A fenced code block whose fence is longer than any run of backticks in the text. */
function fence(text: string, language: string): string[] {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marks = '`'.repeat(Math.max(3, longest + 1));
  return [`${marks}${language}`, text, marks];
}

/** Inline code that stays inline code whatever backticks the text holds. */
function code(text: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const marks = '`'.repeat(longest + 1);
  const pad = text.startsWith('`') || text.endsWith('`') ? ' ' : '';
  return `${marks}${pad}${text}${pad}${marks}`;
}

function escapeMarkdown(text: string): string {
  return text.replace(/[\\`*_[\]<>|~]/g, '\\$&');
}

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** One risk flag on one line: `[severity] environment: Kind namespace/name: reason`. */
export function formatRisk(flag: RiskFlag): string {
  return `[${flag.severity}] ${flag.environment}: ${flag.objectId}: ${flag.message}`;
}
