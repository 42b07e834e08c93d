/**
 * config.alloy: Grafana Alloy, the log collector DaemonSet (Promtail reached end of life in March
 * 2026), tails the log files of the containers on its own node and pushes them to Loki.
 *
 * The text is rendered from a small typed model of Alloy's configuration syntax (blocks with
 * labels, attributes, expressions) by {@link renderAlloy}, never by pasting hand-written text, so
 * quoting and escaping are always right whatever the options hold.
 */
import { describeValue } from '../../model/problems';
import { checkCodeOptions, isPlainAbsolutePath } from '../../kit/options';
import { ALLOY, LOKI, MONITORING_NAMESPACE } from '../names';
import { serviceHost } from '../../kit/pod-workload';

// Two spaces, not alloy fmt's tabs: a tab keeps YAML from writing the config as a readable block
// in its ConfigMap (it would become one escaped line).
const INDENT = '  ';

// ---- The model of Alloy's configuration syntax ----

/** A reference to an exported value, such as `loki.write.default.receiver`. */
export interface AlloyReference {
  readonly kind: 'reference';
  /** Dotted identifiers. */
  readonly path: string;
}

/** A call of a standard library function, such as `sys.env("NODE_NAME")`. */
export interface AlloyCall {
  readonly kind: 'call';
  /** The function's dotted name. */
  readonly fn: string;
  readonly args: readonly AlloyValue[];
}

/** String concatenation: `a + b + ...`. */
export interface AlloyConcat {
  readonly kind: 'concat';
  readonly parts: readonly AlloyValue[];
}

/** An object literal `{ key = value, }`, fields in the order given. */
export interface AlloyObject {
  readonly kind: 'object';
  readonly fields: readonly (readonly [string, AlloyValue])[];
}

/** A value: a literal, a list, an object or an expression. */
export type AlloyValue = string | number | boolean | null | readonly AlloyValue[] | AlloyObject | AlloyReference | AlloyCall | AlloyConcat;

/** `name = value` inside a block. */
export interface AlloyAttribute {
  readonly kind: 'attribute';
  readonly name: string;
  readonly value: AlloyValue;
}

/** `name "label" { ... }`: a component (`loki.write "default"`) or a nested block (`rule { ... }`). */
export interface AlloyBlock {
  readonly kind: 'block';
  /** Dotted identifiers, such as `discovery.kubernetes` or `stage.cri`. */
  readonly name: string;
  /** The component's label; nested blocks have none. */
  readonly label?: string;
  readonly body: readonly AlloyStatement[];
}

/** One statement of a body. */
export type AlloyStatement = AlloyAttribute | AlloyBlock;

/** `name = value`. */
export function attr(name: string, value: AlloyValue): AlloyAttribute {
  return { kind: 'attribute', name, value };
}

/** A block; `label` is `undefined` for nested blocks. */
export function block(name: string, label: string | undefined, body: readonly AlloyStatement[] = []): AlloyBlock {
  return label === undefined ? { kind: 'block', name, body } : { kind: 'block', name, label, body };
}

/** A reference by dotted path. */
export function ref(path: string): AlloyReference {
  return { kind: 'reference', path };
}

/** An export of a component block: `exportOf(write, 'receiver')` is `loki.write.default.receiver`. */
export function exportOf(component: AlloyBlock, field: string): AlloyReference {
  if (component.label === undefined) throw new Error(`block ${component.name} has no label, so nothing can reference it`);
  return ref(`${component.name}.${component.label}.${field}`);
}

/** A function call. */
export function call(fn: string, ...args: AlloyValue[]): AlloyCall {
  return { kind: 'call', fn, args };
}

/** `a + b + ...`. */
export function concat(...parts: AlloyValue[]): AlloyConcat {
  return { kind: 'concat', parts };
}

/** An object literal from a record (fields in insertion order). */
export function object(fields: Readonly<Record<string, AlloyValue>>): AlloyObject {
  return { kind: 'object', fields: Object.entries(fields) };
}

// ---- The serializer ----

const IDENTIFIER = /^[\p{L}_][\p{L}\p{Nd}_]*$/u;
const KEYWORDS = new Set(['true', 'false', 'null']);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function isIdentifier(value: string): boolean {
  return IDENTIFIER.test(value) && !KEYWORDS.has(value);
}

function isDottedName(value: string): boolean {
  return value.split('.').every(isIdentifier);
}

function fail(message: string): never {
  throw new Error(`renderAlloy: ${message}`);
}

/** A double-quoted Alloy string: Go escape sequences for quote, backslash and control characters. */
export function quoteAlloyString(value: string): string {
  if (LONE_SURROGATE.test(value)) fail(`string ${JSON.stringify(value)} holds a lone UTF-16 surrogate, which is not text`);
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0)!;
    if (char === '"') out += '\\"';
    else if (char === '\\') out += '\\\\';
    else if (char === '\n') out += '\\n';
    else if (char === '\r') out += '\\r';
    else if (char === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += char;
  }
  return `${out}"`;
}

/** Non-empty objects, and lists holding one, are written over several lines. */
function isMultiLine(value: AlloyValue): boolean {
  if (Array.isArray(value)) return (value as readonly AlloyValue[]).some(isMultiLine);
  return isObject(value) && value.fields.length > 0;
}

function isObject(value: AlloyValue): value is AlloyObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && (value as AlloyObject).kind === 'object';
}

function renderValue(value: AlloyValue, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return quoteAlloyString(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) fail(`number ${value} cannot be written`);
    return String(value);
  }
  if (Array.isArray(value)) {
    const items = value as readonly AlloyValue[];
    if (items.length === 0) return '[]';
    if (!isMultiLine(items)) return `[${items.map((item) => renderValue(item, indent)).join(', ')}]`;
    const inner = `${indent}${INDENT}`;
    return `[\n${items.map((item) => `${inner}${renderValue(item, inner)},\n`).join('')}${indent}]`;
  }
  const expression = value as AlloyObject | AlloyReference | AlloyCall | AlloyConcat;
  switch (expression.kind) {
    case 'reference':
      if (!isDottedName(expression.path)) fail(`reference ${JSON.stringify(expression.path)} is not dotted identifiers`);
      return expression.path;
    case 'call':
      if (!isDottedName(expression.fn)) fail(`function name ${JSON.stringify(expression.fn)} is not dotted identifiers`);
      return `${expression.fn}(${expression.args.map((arg) => renderValue(arg, indent)).join(', ')})`;
    case 'concat':
      if (expression.parts.length < 2) fail('a concatenation needs at least two parts');
      return expression.parts.map((part) => renderValue(part, indent)).join(' + ');
    case 'object': {
      if (expression.fields.length === 0) return '{}';
      const seen = new Set<string>();
      const inner = `${indent}${INDENT}`;
      const keys = expression.fields.map(([key]) => {
        if (seen.has(key)) fail(`object key ${JSON.stringify(key)} appears twice`);
        seen.add(key);
        if (isIdentifier(key)) return key;
        // Alloy takes a quoted key verbatim, without unescaping: only plain text can be quoted.
        if (/["\\\n\r\t]/.test(key) || key === '') fail(`object key ${JSON.stringify(key)} cannot be written`);
        return `"${key}"`;
      });
      const width = Math.max(...keys.map((key) => key.length));
      const lines = expression.fields.map(([, field], i) => `${inner}${keys[i]!.padEnd(width)} = ${renderValue(field, inner)},\n`);
      return `{\n${lines.join('')}${indent}}`;
    }
    default:
      return fail(`unknown value ${describeValue(value)}`);
  }
}

function renderBody(body: readonly AlloyStatement[], indent: string): string {
  let out = '';
  let i = 0;
  const names = new Set<string>();
  const components = new Set<string>();
  while (i < body.length) {
    const statement = body[i]!;
    if (statement.kind === 'attribute') {
      // A run of consecutive attributes is aligned on `=`, as `alloy fmt` writes it.
      const run: AlloyAttribute[] = [];
      while (i < body.length && body[i]!.kind === 'attribute') run.push(body[i++] as AlloyAttribute);
      const width = Math.max(...run.map((a) => a.name.length));
      if (out !== '') out += '\n';
      for (const attribute of run) {
        if (!isIdentifier(attribute.name)) fail(`attribute name ${JSON.stringify(attribute.name)} is not an identifier`);
        if (names.has(attribute.name)) fail(`attribute ${attribute.name} is set twice in one block`);
        names.add(attribute.name);
        out += `${indent}${attribute.name.padEnd(width)} = ${renderValue(attribute.value, indent)}\n`;
      }
      continue;
    }
    if (!isDottedName(statement.name)) fail(`block name ${JSON.stringify(statement.name)} is not dotted identifiers`);
    let header = statement.name;
    if (statement.label !== undefined) {
      if (!isIdentifier(statement.label)) fail(`block label ${JSON.stringify(statement.label)} is not an identifier`);
      const key = `${statement.name}.${statement.label}`;
      if (components.has(key)) fail(`block ${statement.name} "${statement.label}" is defined twice`);
      components.add(key);
      header += ` ${quoteAlloyString(statement.label)}`;
    }
    if (out !== '') out += '\n';
    out += statement.body.length === 0 ? `${indent}${header} { }\n` : `${indent}${header} {\n${renderBody(statement.body, `${indent}${INDENT}`)}${indent}}\n`;
    i++;
  }
  return out;
}

/**
 * Alloy configuration text for a list of top-level blocks, formatted as `alloy fmt` formats it
 * (tab indentation, `=` aligned in a run of attributes, trailing commas in multi-line objects).
 * Throws an `Error` when the model cannot be written: a name that is not an identifier, a label
 * set twice, a key that Alloy cannot quote.
 */
export function renderAlloy(statements: readonly AlloyStatement[]): string {
  return renderBody(statements, '');
}

// ---- Gravl's log pipeline ----

/** The path Loki accepts pushes on. */
export const LOKI_PUSH_PATH = '/loki/api/v1/push';

/** The push URL of the `loki` Service in `gravl-monitoring`. */
export const DEFAULT_LOKI_PUSH_URL = `http://${serviceHost(LOKI.service, MONITORING_NAMESPACE)}:${LOKI.port.port}${LOKI_PUSH_PATH}`;

/** The environment variable the DaemonSet fills with the node's name (downward API `spec.nodeName`). */
export const DEFAULT_NODE_NAME_ENV = 'NODE_NAME';

/** Where the kubelet writes container logs: `<namespace>_<pod>_<uid>/<container>/<restart>.log`. */
export const DEFAULT_POD_LOGS_PATH = '/var/log/pods';

/** Options of {@link alloyConfig}. */
export interface AlloyConfigOptions {
  /**
   * The value of the `environment` label on every log line (e.g. `staging`, `production`): the
   * same value as Prometheus's `environment` external label.
   */
  readonly environment: string;
  /**
   * The value of the `cluster` external label that `loki.write` adds to every stream.
   * @default the value of `environment` (one cluster per environment)
   */
  readonly cluster?: string;
  /**
   * Loki's push endpoint (http or https, ending in `/loki/api/v1/push`, no credentials).
   * @default 'http://loki.gravl-monitoring.svc.cluster.local:3100/loki/api/v1/push'
   */
  readonly lokiPushUrl?: string;
  /**
   * The environment variable holding the name of the node Alloy runs on; the DaemonSet sets it
   * from the downward API (`fieldRef: spec.nodeName`).
   * @default 'NODE_NAME'
   */
  readonly nodeNameEnv?: string;
  /**
   * Where the node's `/var/log/pods` is mounted in the Alloy container (read-only hostPath).
   * @default '/var/log/pods'
   */
  readonly podLogsPath?: string;
}

/**
 * The options set in code (the environment's name comes from the environment file, which the model
 * validates): a wrong one is a programming error.
 */
function checkOptions(options: AlloyConfigOptions): void {
  checkCodeOptions('alloyConfig', (check) => {
    const labelValue = (value: unknown) => typeof value === 'string' && /^\S+$/.test(value);
    if (options.cluster !== undefined) check('cluster', labelValue(options.cluster), options.cluster, 'a label value without spaces, such as gravl-staging');
    if (options.lokiPushUrl !== undefined) {
      check('lokiPushUrl', isPushUrl(options.lokiPushUrl), options.lokiPushUrl, `an http(s) URL without credentials, query or fragment, ending in ${LOKI_PUSH_PATH}, such as ${DEFAULT_LOKI_PUSH_URL}`);
    }
    if (options.nodeNameEnv !== undefined) {
      check('nodeNameEnv', typeof options.nodeNameEnv === 'string' && /^[A-Za-z_][A-Za-z0-9_]*$/.test(options.nodeNameEnv), options.nodeNameEnv, 'an environment variable name such as NODE_NAME');
    }
    if (options.podLogsPath !== undefined) {
      check('podLogsPath', isPlainAbsolutePath(options.podLogsPath), options.podLogsPath, 'an absolute path of plain segments (letters, digits, . _ -) without a trailing slash, such as /var/log/pods');
    }
  });
}

function isPushUrl(value: unknown): boolean {
  if (typeof value !== 'string' || /\s/.test(value)) return false;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  // The URL would sit in a ConfigMap: credentials belong in a Secret, never here.
  return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === ''
    && url.search === '' && url.hash === '' && value.endsWith(LOKI_PUSH_PATH);
}

/** A relabel rule of `discovery.relabel`. */
function rule(fields: {
  sourceLabels?: readonly string[];
  separator?: string;
  regex?: string;
  action?: 'replace' | 'keep' | 'drop';
  targetLabel?: string;
  replacement?: string;
}): AlloyBlock {
  const body: AlloyStatement[] = [];
  if (fields.sourceLabels) body.push(attr('source_labels', fields.sourceLabels));
  if (fields.separator !== undefined) body.push(attr('separator', fields.separator));
  if (fields.regex !== undefined) body.push(attr('regex', fields.regex));
  if (fields.action !== undefined) body.push(attr('action', fields.action));
  if (fields.targetLabel !== undefined) body.push(attr('target_label', fields.targetLabel));
  if (fields.replacement !== undefined) body.push(attr('replacement', fields.replacement));
  return block('rule', undefined, body);
}

/** Copies one discovered label to a stream label. */
function copy(source: string, target: string): AlloyBlock {
  return rule({ sourceLabels: [source], targetLabel: target });
}

/**
 * The statements of Gravl's log pipeline, in data-flow order: `discovery.kubernetes "pods"` (pods
 * of this node) → `discovery.relabel "pods"` (stream labels, log path) → `local.file_match "pods"`
 * → `loki.source.file "pods"` → `loki.process "pods"` (CRI parsing, `environment` label) →
 * `loki.write "default"`. Options are assumed valid: {@link alloyConfig} checks them first.
 */
function alloyPipeline(options: AlloyConfigOptions): AlloyStatement[] {
  const pushUrl = options.lokiPushUrl ?? DEFAULT_LOKI_PUSH_URL;
  const nodeNameEnv = options.nodeNameEnv ?? DEFAULT_NODE_NAME_ENV;
  const podLogsPath = options.podLogsPath ?? DEFAULT_POD_LOGS_PATH;
  const cluster = options.cluster ?? options.environment;

  const write = block('loki.write', 'default', [
    attr('external_labels', object({ cluster })),
    block('endpoint', undefined, [attr('url', pushUrl)]),
  ]);

  const process = block('loki.process', 'pods', [
    attr('forward_to', [exportOf(write, 'receiver')]),
    // Container runtimes write `<time> <stream> <P|F> <line>`: take the time and the line, and
    // join lines the runtime split into partial ones.
    block('stage.cri', undefined),
    block('stage.static_labels', undefined, [attr('values', object({ environment: options.environment }))]),
  ]);

  const discover = block('discovery.kubernetes', 'pods', [
    attr('role', 'pod'),
    // Only the pods of this node: their log files are the only ones this pod can read, and the
    // API server filters, so the agent never lists the whole cluster's pods.
    block('selectors', undefined, [attr('role', 'pod'), attr('field', concat('spec.nodeName=', call('sys.env', nodeNameEnv)))]),
  ]);

  const relabel = block('discovery.relabel', 'pods', [
    attr('targets', exportOf(discover, 'targets')),
    // No filter on the pod phase: a finished pod keeps its log files until it is deleted, and
    // dropping Succeeded or Failed pods would lose the last lines of the runs whose outcome matters
    // most (migration, backup, restore drill, load test), or all of a run shorter than a refresh.
    rule({ sourceLabels: ['__meta_kubernetes_pod_container_name'], regex: '.+', action: 'keep' }),
    copy('__meta_kubernetes_namespace', 'namespace'),
    copy('__meta_kubernetes_pod_name', 'pod'),
    copy('__meta_kubernetes_pod_container_name', 'container'),
    copy('__meta_kubernetes_pod_label_app_kubernetes_io_name', 'app'),
    copy('__meta_kubernetes_pod_node_name', 'node'),
    rule({ sourceLabels: ['__meta_kubernetes_namespace', '__meta_kubernetes_pod_container_name'], separator: '/', targetLabel: 'job' }),
    // <podLogsPath>/<namespace>_<pod>_<uid>/<container>/<restart count>.log; the uid alone tells
    // pods apart, so a pod name or namespace needs no escaping in the glob.
    rule({
      sourceLabels: ['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name'],
      separator: '/',
      targetLabel: '__path__',
      replacement: `${podLogsPath}/*$1/*.log`,
    }),
  ]);

  const files = block('local.file_match', 'pods', [attr('path_targets', exportOf(relabel, 'output'))]);

  const source = block('loki.source.file', 'pods', [
    attr('targets', exportOf(files, 'targets')),
    attr('forward_to', [exportOf(process, 'receiver')]),
  ]);

  return [
    block('logging', undefined, [attr('level', 'info'), attr('format', 'logfmt')]),
    discover,
    relabel,
    files,
    source,
    process,
    write,
  ];
}

/**
 * config.alloy for the `alloy` DaemonSet: every container log file of the node Alloy runs on,
 * labelled `namespace`, `pod`, `container`, `app` (from `app.kubernetes.io/name`), `node`, `job`
 * (`<namespace>/<container>`) and `environment`, parsed from the CRI log format and pushed to Loki
 * with the external label `cluster`. The environment's name is taken as the environment model
 * validated it; a wrong option set in code throws an `Error` naming each.
 *
 * What the DaemonSet provides, outside this file:
 * - Alloy's own metrics (`/metrics`) are served by its HTTP server, which is configured by the
 *   command-line flag `--server.http.listen-addr`, not by this file: port 12345, the `http` port
 *   of the `alloy` Service that Prometheus scrapes (see {@link alloyArgs}). So is usage reporting,
 *   switched off with `--disable-reporting` (the pods have no internet egress).
 * - The environment variable `nodeNameEnv` from the downward API (`spec.nodeName`); `sys.env`
 *   needs Alloy 1.4 or newer.
 * - The node's `/var/log/pods` mounted read-only at `podLogsPath`.
 * - A ClusterRole with get, list and watch on pods (discovery covers every namespace).
 * - A storage path (`--storage.path`) on a hostPath, where `loki.source.file` keeps the read
 *   position of every file, so a restarted pod neither resends nor skips lines.
 */
export function alloyConfig(options: AlloyConfigOptions): string {
  checkOptions(options);
  return renderAlloy(alloyPipeline(options));
}

/** Options of {@link alloyArgs}. */
export interface AlloyArgsOptions {
  /** The path of the mounted config.alloy, e.g. `/etc/alloy/config.alloy`. */
  readonly configFile: string;
  /**
   * Alloy's data directory (read positions of the log files); a hostPath, so that it outlives
   * the pod.
   * @default '/var/lib/alloy/data'
   */
  readonly storagePath?: string;
}

/**
 * The container arguments of the `grafana/alloy` image (its entrypoint is the `alloy` binary):
 * run the given file, serve the UI and `/metrics` on every interface on port 12345 (the `alloy`
 * Service's `http` port), keep data under `storagePath`, and send no usage reports.
 */
export function alloyArgs(options: AlloyArgsOptions): string[] {
  return [
    'run',
    options.configFile,
    `--server.http.listen-addr=0.0.0.0:${ALLOY.port.port}`,
    `--storage.path=${options.storagePath ?? '/var/lib/alloy/data'}`,
    '--disable-reporting',
  ];
}
