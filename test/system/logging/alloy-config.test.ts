// Structural tests of config.alloy. The real check would be `alloy fmt` (syntax) and `alloy run`
// (components), but no `alloy` binary can be installed here (it is not packaged in Debian), so the
// text is parsed with the parser in test/support/alloy-syntax.ts and its structure asserted: the
// components and their wiring, the values that matter, and the relabel rules run on sample targets.
import { describe, expect, it } from 'vitest';
import {
  alloyArgs,
  alloyConfig,
  attr,
  block,
  DEFAULT_LOKI_PUSH_URL,
  object,
  renderAlloy,
  type AlloyConfigOptions,
} from '../../../lib/system/logging/alloy-config';
import { ProblemsError } from '../../../lib/model/problems';
import { thrownBy } from '../../support/thrown';
import { ALLOY, LOKI, MONITORING_NAMESPACE } from '../../../lib/system/names';
import { serviceHost } from '../../../lib/kit/pod-workload';
import {
  attribute,
  blockNamed,
  blocksNamed,
  literal,
  parseAlloy,
  referencesIn,
  type BlockNode,
  type StatementNode,
  type ValueNode,
} from '../../support/alloy-syntax';

const OPTIONS: AlloyConfigOptions = { environment: 'staging' };

/** `name.label` of every labelled top-level block (a component). */
function componentIds(tree: readonly StatementNode[]): string[] {
  return tree.filter((s): s is BlockNode => s.type === 'block' && s.label !== undefined).map((b) => `${b.name}.${b.label}`);
}

/** The component a reference points into: `loki.write.default.receiver` → `loki.write.default`. */
function componentOf(reference: string): string {
  return reference.split('.').slice(0, -1).join('.');
}

/**
 * Data-flow edges between components: `targets = X.output` pulls from X (X → this component),
 * `forward_to = [Y.receiver]` pushes to Y (this component → Y).
 */
function flows(tree: readonly StatementNode[]): [string, string][] {
  const edges: [string, string][] = [];
  for (const component of tree.filter((s): s is BlockNode => s.type === 'block' && s.label !== undefined)) {
    const id = `${component.name}.${component.label}`;
    for (const statement of component.body) {
      if (statement.type !== 'attribute') continue;
      for (const reference of referencesIn(statement.value)) {
        edges.push(statement.name === 'forward_to' ? [id, componentOf(reference)] : [componentOf(reference), id]);
      }
    }
  }
  return edges;
}

// ---- A relabel evaluator (Prometheus semantics) for the rules of discovery.relabel ----

type Labels = Record<string, string>;

interface Rule {
  source_labels?: string[];
  separator?: string;
  regex?: string;
  action?: string;
  target_label?: string;
  replacement?: string;
}

/** Go's regexp.Expand: `$1`, `${1}`, `$name`, `$$`. */
function expand(template: string, match: RegExpExecArray): string {
  return template.replace(/\$(\$|\{(\w+)\}|(\w+))/g, (_, whole: string, braced?: string, bare?: string) => {
    if (whole === '$') return '$';
    const name = braced ?? bare!;
    return /^\d+$/.test(name) ? (match[Number(name)] ?? '') : (match.groups?.[name] ?? '');
  });
}

/** Applies relabel rules to a target; undefined when a rule drops it. */
function relabel(target: Labels, rules: readonly Rule[]): Labels | undefined {
  const labels = { ...target };
  for (const rule of rules) {
    const value = (rule.source_labels ?? []).map((l) => labels[l] ?? '').join(rule.separator ?? ';');
    const regex = new RegExp(`^(?:${rule.regex ?? '(.*)'})$`);
    const match = regex.exec(value);
    switch (rule.action ?? 'replace') {
      case 'keep':
        if (!match) return undefined;
        break;
      case 'drop':
        if (match) return undefined;
        break;
      case 'replace': {
        if (!match) break;
        const result = expand(rule.replacement ?? '$1', match);
        if (result === '') delete labels[rule.target_label!];
        else labels[rule.target_label!] = result;
        break;
      }
      default:
        throw new Error(`relabel action ${rule.action} is not evaluated here`);
    }
  }
  return labels;
}

/** Labels other than the discovery's `__meta_*` ones (what reaches Loki, plus `__path__`). */
function published(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).filter(([name]) => !name.startsWith('__meta_')));
}

/** A glob of `*` (no `/`) as a regex. */
function globMatches(glob: string, file: string): boolean {
  const source = glob.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*');
  return new RegExp(`^${source}$`).test(file);
}

/** One target of `discovery.kubernetes` with role pod, as it describes a container. */
function podTarget(fields: { namespace: string; pod: string; uid: string; container: string; app?: string; node: string; phase: string }): Labels {
  return {
    __address__: '10.42.0.17',
    __meta_kubernetes_namespace: fields.namespace,
    __meta_kubernetes_pod_name: fields.pod,
    __meta_kubernetes_pod_uid: fields.uid,
    __meta_kubernetes_pod_container_name: fields.container,
    __meta_kubernetes_pod_container_init: 'false',
    __meta_kubernetes_pod_node_name: fields.node,
    __meta_kubernetes_pod_phase: fields.phase,
    ...(fields.app ? { __meta_kubernetes_pod_label_app_kubernetes_io_name: fields.app, __meta_kubernetes_pod_labelpresent_app_kubernetes_io_name: 'true' } : {}),
  };
}

function relabelRules(tree: readonly StatementNode[]): Rule[] {
  return blocksNamed(blockNamed(tree, 'discovery.relabel', 'pods').body, 'rule').map((r) =>
    Object.fromEntries(r.body.map((s) => (s.type === 'attribute' ? [s.name, literal(s.value)] : [s.name, undefined]))) as Rule,
  );
}

describe('config.alloy', () => {
  const text = alloyConfig(OPTIONS);
  const tree = parseAlloy(text);

  it('parses as Alloy syntax and defines each component once', () => {
    const ids = componentIds(tree);
    expect(ids).toEqual([
      'discovery.kubernetes.pods',
      'discovery.relabel.pods',
      'local.file_match.pods',
      'loki.source.file.pods',
      'loki.process.pods',
      'loki.write.default',
    ]);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('references only components that are defined exactly once, through their exports', () => {
    const ids = componentIds(tree);
    const references = referencesIn(tree);
    expect(references.length).toBeGreaterThanOrEqual(5);
    for (const reference of references) {
      expect(ids.filter((id) => id === componentOf(reference)), reference).toHaveLength(1);
    }
    expect(references.sort()).toEqual([
      'discovery.kubernetes.pods.targets',
      'discovery.relabel.pods.output',
      'local.file_match.pods.targets',
      'loki.process.pods.receiver',
      'loki.write.default.receiver',
    ]);
  });

  it('wires one pipeline discovery → relabel → file_match → source.file → process → write, in file order', () => {
    const edges = flows(tree);
    const chain = ['discovery.kubernetes.pods'];
    for (;;) {
      const next = edges.filter(([from]) => from === chain[chain.length - 1]).map(([, to]) => to);
      if (next.length === 0) break;
      expect(next).toHaveLength(1);
      chain.push(next[0]!);
    }
    const expected = ['discovery.kubernetes.pods', 'discovery.relabel.pods', 'local.file_match.pods', 'loki.source.file.pods', 'loki.process.pods', 'loki.write.default'];
    expect(chain).toEqual(expected);
    expect(edges).toHaveLength(expected.length - 1);
    expect(componentIds(tree)).toEqual(expected);
  });

  it('pushes to the loki Service in gravl-monitoring on port 3100 at /loki/api/v1/push', () => {
    const endpoint = blockNamed(blockNamed(tree, 'loki.write', 'default').body, 'endpoint');
    const url = new URL(literal(attribute(endpoint, 'url')) as string);
    expect(url.protocol).toBe('http:');
    expect(url.hostname).toBe(serviceHost(LOKI.service, MONITORING_NAMESPACE));
    expect(url.hostname).toBe('loki.gravl-monitoring.svc.cluster.local');
    expect(url.port).toBe(String(LOKI.port.port));
    expect(url.port).toBe('3100');
    expect(url.pathname).toBe('/loki/api/v1/push');
    expect(literal(attribute(endpoint, 'url'))).toBe(DEFAULT_LOKI_PUSH_URL);
  });

  it('discovers only the pods of its own node, through a field selector on the node name variable', () => {
    const discovery = blockNamed(tree, 'discovery.kubernetes', 'pods');
    expect(literal(attribute(discovery, 'role'))).toBe('pod');
    const selectors = blockNamed(discovery.body, 'selectors');
    expect(literal(attribute(selectors, 'role'))).toBe('pod');
    const field: ValueNode = attribute(selectors, 'field');
    expect(field).toEqual({
      type: 'binary',
      op: '+',
      left: { type: 'string', value: 'spec.nodeName=' },
      right: { type: 'call', fn: 'sys.env', args: [{ type: 'string', value: 'NODE_NAME' }] },
    });
    const custom = parseAlloy(alloyConfig({ ...OPTIONS, nodeNameEnv: 'K8S_NODE' }));
    const customField = attribute(blockNamed(blockNamed(custom, 'discovery.kubernetes', 'pods').body, 'selectors'), 'field');
    expect(customField).toMatchObject({ right: { type: 'call', fn: 'sys.env', args: [{ type: 'string', value: 'K8S_NODE' }] } });
  });

  it('parses the container runtime format first, then labels every line with the environment', () => {
    const process = blockNamed(tree, 'loki.process', 'pods');
    const stages = process.body.filter((s): s is BlockNode => s.type === 'block').map((b) => b.name);
    expect(stages[0]).toBe('stage.cri');
    expect(stages).toContain('stage.static_labels');
    expect(blockNamed(process.body, 'stage.cri').body).toEqual([]);
    expect(literal(attribute(blockNamed(process.body, 'stage.static_labels'), 'values'))).toEqual({ environment: 'staging' });
  });

  it('adds the cluster external label, the environment unless a cluster is named', () => {
    const write = blockNamed(tree, 'loki.write', 'default');
    expect(literal(attribute(write, 'external_labels'))).toEqual({ cluster: 'staging' });
    const named = parseAlloy(alloyConfig({ environment: 'production', cluster: 'gravl-prod-eu' }));
    expect(literal(attribute(blockNamed(named, 'loki.write', 'default'), 'external_labels'))).toEqual({ cluster: 'gravl-prod-eu' });
    expect(literal(attribute(blockNamed(blockNamed(named, 'loki.process', 'pods').body, 'stage.static_labels'), 'values'))).toEqual({ environment: 'production' });
  });

  it('labels a container\'s stream and points __path__ at exactly its log files', () => {
    const rules = relabelRules(tree);
    const uid = '0c6f5d0e-55a3-4bb0-9d3e-2f1f6c3b7a10';
    const target = podTarget({ namespace: 'gravl-staging', pod: 'backend-7d9f8c6b5-x2k4p', uid, container: 'backend', app: 'backend', node: 'node-a', phase: 'Running' });
    const labels = published(relabel(target, rules)!);
    expect(labels).toEqual({
      __address__: '10.42.0.17',
      namespace: 'gravl-staging',
      pod: 'backend-7d9f8c6b5-x2k4p',
      container: 'backend',
      app: 'backend',
      node: 'node-a',
      job: 'gravl-staging/backend',
      __path__: `/var/log/pods/*${uid}/backend/*.log`,
    });
    const glob = labels.__path__!;
    expect(globMatches(glob, `/var/log/pods/gravl-staging_backend-7d9f8c6b5-x2k4p_${uid}/backend/0.log`)).toBe(true);
    expect(globMatches(glob, `/var/log/pods/gravl-staging_backend-7d9f8c6b5-x2k4p_${uid}/backend/3.log`)).toBe(true);
    expect(globMatches(glob, `/var/log/pods/gravl-staging_backend-7d9f8c6b5-x2k4p_${uid}/postgres-exporter/0.log`)).toBe(false);
    expect(globMatches(glob, '/var/log/pods/gravl-staging_backend-7d9f8c6b5-abcde_11111111-2222-3333-4444-555555555555/backend/0.log')).toBe(false);
  });

  it('reads the log path from options, and leaves out the app label of a pod without app.kubernetes.io/name', () => {
    const custom = parseAlloy(alloyConfig({ ...OPTIONS, podLogsPath: '/host/var/log/pods' }));
    const labels = relabel(podTarget({ namespace: 'kube-system', pod: 'coredns-1', uid: 'u1', container: 'coredns', node: 'node-a', phase: 'Running' }), relabelRules(custom))!;
    expect(labels.__path__).toBe('/host/var/log/pods/*u1/coredns/*.log');
    expect(labels).not.toHaveProperty('app');
    expect(labels.job).toBe('kube-system/coredns');
  });

  it('drops targets without a container name, and keeps finished Job pods so their last lines are shipped', () => {
    const rules = relabelRules(tree);
    const noContainer = podTarget({ namespace: 'gravl-staging', pod: 'p', uid: 'u', container: '', node: 'node-a', phase: 'Running' });
    expect(relabel(noContainer, rules)).toBeUndefined();
    for (const phase of ['Pending', 'Succeeded', 'Failed']) {
      const job = podTarget({ namespace: 'gravl-staging', pod: 'postgres-backup-29000000-abcde', uid: 'u2', container: 'backup', node: 'node-a', phase });
      expect(relabel(job, rules)?.job, phase).toBe('gravl-staging/backup');
    }
  });

  it('escapes quotes and backslashes in options so that they read back unchanged', () => {
    const environment = 'st"ag\\ing\\"';
    const cluster = 'c\\"}{ = x';
    const escaped = alloyConfig({ environment, cluster: cluster.replace(/ /g, '') });
    const parsed = parseAlloy(escaped);
    expect(literal(attribute(blockNamed(blockNamed(parsed, 'loki.process', 'pods').body, 'stage.static_labels'), 'values'))).toEqual({ environment });
    expect(literal(attribute(blockNamed(parsed, 'loki.write', 'default'), 'external_labels'))).toEqual({ cluster: 'c\\"}{=x' });
    expect(escaped).toContain('environment = "st\\"ag\\\\ing\\\\\\""');
  });

  it('writes any string so that it reads back unchanged, control characters and non-ASCII text included', () => {
    const values = ['', 'plain', 'tab\there', 'line\nbreak\r\n', 'nul\u0000bell\u0007del\u007f', 'é ü ß 日本 😀', '${not.interpolated}', '/* not a comment */ // nor this', '`backquote`'];
    const text = renderAlloy([block('test', 'strings', values.map((value, i) => attr(`s${i}`, value)).concat([attr('o', object(Object.fromEntries(values.map((v, i) => [`k${i}`, v]))))]))]);
    const parsed = blockNamed(parseAlloy(text), 'test', 'strings');
    expect(values.map((_, i) => literal(attribute(parsed, `s${i}`)))).toEqual(values);
    expect(literal(attribute(parsed, 'o'))).toEqual(Object.fromEntries(values.map((v, i) => [`k${i}`, v])));
    expect(text.split('\n').length).toBe(values.length + values.length + 5);
  });

  it('is formatted as alloy fmt writes it but indented by two spaces: aligned "=", a blank line between blocks', () => {
    expect(text).toContain('loki.source.file "pods" {\n  targets    = local.file_match.pods.targets\n  forward_to = [loki.process.pods.receiver]\n}\n');
    expect(text).toContain('  stage.cri { }\n');
    expect(text).toMatch(/^logging \{\n  level  = "info"\n  format = "logfmt"\n\}\n\ndiscovery\.kubernetes "pods" \{\n/);
    expect(text).not.toContain('\t');
    expect(text.endsWith('}\n')).toBe(true);
    expect(alloyConfig(OPTIONS)).toBe(text);
  });

  it('serves its metrics on the alloy Service port through a flag, with usage reporting off', () => {
    const args = alloyArgs({ configFile: '/etc/alloy/config.alloy' });
    expect(args[0]).toBe('run');
    expect(args).toContain('/etc/alloy/config.alloy');
    expect(args).toContain(`--server.http.listen-addr=0.0.0.0:${ALLOY.port.port}`);
    expect(ALLOY.port.port).toBe(12345);
    expect(args).toContain('--disable-reporting');
    expect(args).toContain('--storage.path=/var/lib/alloy/data');
  });

  // The environment's name comes from the environment file's name, which the model validates
  // (test/model/load.test.ts); the other options are set in code.
  it('rejects wrong options set in code, naming every one, as a programming error', () => {
    const wrong = () => alloyConfig({
      environment: 'staging',
      cluster: '',
      lokiPushUrl: 'http://admin:secret@loki:3100/',
      nodeNameEnv: 'NODE-NAME',
      podLogsPath: '/var/log/pods/*',
    });
    expect(thrownBy(wrong)).not.toBeInstanceOf(ProblemsError);
    expect(wrong).toThrowError(new RegExp([
      '^alloyConfig: cluster: found "", expected',
      'alloyConfig: lokiPushUrl: found "http://admin:secret@loki:3100/", expected an http\\(s\\) URL without credentials',
      'alloyConfig: nodeNameEnv: found "NODE-NAME", expected an environment variable name',
      'alloyConfig: podLogsPath: found "/var/log/pods/\\*", expected an absolute path',
    ].join('[^\\n]*\\n')));
  });

  it('rejects a push URL that is not Loki\'s push path and a relative log path', () => {
    expect(() => alloyConfig({ environment: 'staging', lokiPushUrl: 'http://loki.gravl-monitoring.svc.cluster.local:3100' })).toThrowError(/lokiPushUrl: found/);
    expect(() => alloyConfig({ environment: 'staging', lokiPushUrl: 'ftp://loki/loki/api/v1/push' })).toThrowError(/lokiPushUrl: found/);
    expect(() => alloyConfig({ environment: 'staging', podLogsPath: 'var/log/pods' })).toThrowError(/podLogsPath: found "var\/log\/pods"/);
    expect(() => alloyConfig({ environment: 'staging', podLogsPath: '/var/log/pods/' })).toThrowError(/podLogsPath/);
    expect(alloyConfig({ environment: 'staging', lokiPushUrl: 'https://logs.gravl.app/loki/api/v1/push' })).toContain('url = "https://logs.gravl.app/loki/api/v1/push"');
  });

  it('fails to render a model Alloy could not read: a label that is not an identifier, a component defined twice', () => {
    expect(() => renderAlloy([block('loki.write', 'my-loki')])).toThrowError(/block label "my-loki" is not an identifier/);
    expect(() => renderAlloy([block('loki.write', 'a'), block('loki.write', 'a')])).toThrowError(/defined twice/);
    expect(() => renderAlloy([block('a', undefined, [attr('b', 1), attr('b', 2)])])).toThrowError(/set twice/);
    expect(() => renderAlloy([block('a', undefined, [attr('b', '\uD800')])])).toThrowError(/lone UTF-16 surrogate/);
  });
});
