import { describe, expect, it } from 'vitest';
import { loadEnvironments } from '../../lib/model/load';
import { committedSources, committedText, edit, problemsOf } from '../support/render';

const staging = committedText('staging');
const production = committedText('production');

describe('environment files', () => {
  it('accepts the committed environment files', () => {
    const result = loadEnvironments(committedSources());
    expect(result.ok).toBe(true);
    expect(result.ok && result.environments.map((e) => e.name)).toEqual(['production', 'staging']);
  });

  it('rejects broken YAML with the line and column of the fault', () => {
    const text = staging.replace('storageClasses: [local-path]', 'storageClasses: [local-path');
    const problems = problemsOf({ staging: text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environments\/staging\.yaml:\d+:\d+: invalid YAML: /);
  });

  it('rejects a replica count that an HPA owns, naming the file, line and field', () => {
    const text = edit(production, (doc) => doc.setIn(['backend', 'replicas'], 4));
    expect(problemsOf({ production: text })).toEqual([
      expect.stringMatching(
        /^environments\/production\.yaml:\d+:\d+: backend\.replicas: found 4, which does nothing: features\.autoscaling is on and backend\.autoscaling gives an HPA the replica count; expected no replicas \(set backend\.autoscaling\.minReplicas instead\)$/,
      ),
    ]);
  });

  it('rejects a workload with neither a replica count nor an HPA', () => {
    const off = edit(production, (doc) => doc.setIn(['features', 'autoscaling'], false));
    expect(problemsOf({ production: off })).toEqual([
      expect.stringMatching(/backend\.replicas: found nothing, expected the replica count of backend \(no HPA manages it: features\.autoscaling is off\)$/),
      expect.stringMatching(/frontend\.replicas: found nothing, expected the replica count of frontend \(no HPA manages it: features\.autoscaling is off\)$/),
    ]);
    const noBounds = edit(production, (doc) => doc.deleteIn(['frontend', 'autoscaling']));
    expect(problemsOf({ production: noBounds })).toEqual([expect.stringMatching(/frontend\.replicas: found nothing, expected the replica count of frontend \(no HPA manages it: frontend\.autoscaling is not set\)$/)]);
  });

  it('rejects a load test peak no higher than its rate, and a load test without a rate', () => {
    const down = edit(production, (doc) => doc.setIn(['loadTest', 'peakRate'], 100));
    expect(problemsOf({ production: down })).toEqual([
      expect.stringMatching(/^environments\/production\.yaml:\d+:\d+: loadTest\.peakRate: found 100, expected more requests a second than loadTest\.rate \(120\), or no peakRate for a constant rate$/),
    ]);
    const none = edit(staging, (doc) => doc.deleteIn(['loadTest', 'rate']));
    expect(problemsOf({ staging: none }).join('\n')).toMatch(/loadTest.*rate/);
  });

  it('rejects an empty file', () => {
    expect(problemsOf({ staging: '' })).toEqual([
      'environments/staging.yaml: found an empty file, expected a mapping of environment settings (see environments/staging.yaml)',
    ]);
    expect(problemsOf({ staging: '# only a comment\n' })).toHaveLength(1);
  });

  it('rejects a file that is not a mapping', () => {
    expect(problemsOf({ staging: '- a\n- b\n' })).toEqual([
      'environments/staging.yaml:1:1: found a list, expected a mapping of environment settings',
    ]);
  });

  it('rejects an unknown key, naming it, its line, and the keys allowed there', () => {
    const text = edit(staging, (doc) => doc.setIn(['backend', 'replcas'], 2));
    const problems = problemsOf({ staging: text });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^environments\/staging\.yaml:\d+:3: backend\.replcas: found unknown key "replcas", expected one of: image, replicas, resources, autoscaling, migrationCommand$/);
  });

  it('rejects a wrong type, naming the field, the value and the type expected', () => {
    const text = edit(staging, (doc) => doc.setIn(['backend', 'replicas'], 'two'));
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: backend\.replicas: found "two", expected a value of type integer$/),
    ]);
  });

  it('rejects negative replicas', () => {
    const text = edit(staging, (doc) => doc.setIn(['frontend', 'replicas'], -1));
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringMatching(/frontend\.replicas: found -1, expected a number of at least 0$/),
    ]);
  });

  it('rejects a nonsense quantity such as memory: lots', () => {
    const text = edit(staging, (doc) => doc.setIn(['backend', 'resources', 'limits', 'memory'], 'lots'));
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringMatching(/backend\.resources\.limits\.memory: found "lots", expected a memory or storage quantity such as 512Mi or 2Gi$/),
    ]);
  });

  it('rejects a volume on a StorageClass the cluster does not list (the Loki incident)', () => {
    const text = edit(staging, (doc) => {
      doc.setIn(['logging', 'loki', 'storage'], doc.createNode({ type: 'persistentVolumeClaim', storageClassName: 'standard', size: '10Gi' }));
    });
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringMatching(
        /^environments\/staging\.yaml:\d+:\d+: logging\.loki\.storage\.storageClassName: found StorageClass "standard", which this cluster does not have; expected one of cluster\.storageClasses: local-path$/,
      ),
    ]);
  });

  it('rejects the database volume on a missing StorageClass too', () => {
    const text = edit(production, (doc) => doc.setIn(['postgres', 'storage', 'storageClassName'], 'standard'));
    expect(problemsOf({ production: text })).toEqual([expect.stringContaining('postgres.storage.storageClassName: found StorageClass "standard"')]);
  });

  it('rejects a Loki PVC without a StorageClass or size', () => {
    const text = edit(staging, (doc) => doc.setIn(['logging', 'loki', 'storage'], doc.createNode({ type: 'persistentVolumeClaim' })));
    const problems = problemsOf({ staging: text });
    expect(problems).toEqual([
      expect.stringContaining('logging.loki.storage.storageClassName: found nothing, expected the StorageClass of the PVC'),
      expect.stringContaining('logging.loki.storage.size: found nothing, expected the size of the PVC'),
    ]);
  });

  it('rejects a Loki retention that is not whole days, and durations written out of order, naming the file and line', () => {
    const partDay = edit(staging, (doc) => doc.setIn(['logging', 'loki', 'retention'], '36h'));
    expect(problemsOf({ staging: partDay })).toEqual([
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: logging\.loki\.retention: found "36h", expected a whole number of days, at least 24h/),
    ]);
    const disordered = edit(staging, (doc) => doc.setIn(['monitoring', 'prometheus', 'retention'], '30m1h'));
    expect(problemsOf({ staging: disordered })).toEqual([expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.prometheus\.retention: .*30m1h.*largest first/)]);
  });

  it('rejects a Loki retention that is missing or not a duration, naming the file and line', () => {
    for (const retention of ['forever', '7 days', '30m1h', '', '0']) {
      const text = edit(staging, (doc) => doc.setIn(['logging', 'loki', 'retention'], retention));
      expect(problemsOf({ staging: text }), retention).toEqual([
        expect.stringMatching(new RegExp(`^environments/staging\\.yaml:\\d+:\\d+: logging\\.loki\\.retention: found "${retention}", expected a duration such as 30s, 15d or 1h30m`)),
      ]);
    }
    const none = edit(staging, (doc) => doc.deleteIn(['logging', 'loki', 'retention']));
    expect(problemsOf({ staging: none })).toEqual([expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: logging\.loki\.retention: found nothing, expected this key to be set$/)]);
  });

  // The config generators (Prometheus, alert rules, dashboards, Alloy) take these as they are.
  it('rejects namespaces, a host and environment names that are not DNS names, naming each', () => {
    const text = edit(staging, (doc) => {
      doc.set('namespace', 'Gravl_Staging');
      doc.set('host', 'gravl app');
      doc.setIn(['tls', 'certManagerNamespace'], 'Cert_Manager');
    });
    expect(problemsOf({ staging: text, 'two words': production, '': production })).toEqual([
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: namespace: found "Gravl_Staging", expected a lowercase DNS label \(a-z, 0-9 and -, at most 63 characters\)$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: host: found "gravl app", expected a fully qualified host name such as staging\.gravl\.app$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: tls\.certManagerNamespace: found "Cert_Manager", expected a lowercase DNS label/),
      'environments/two words.yaml: found environment name "two words", expected a lowercase DNS label as the file name (it names dist/<name>/)',
      'environments/.yaml: found environment name "", expected a lowercase DNS label as the file name (it names dist/<name>/)',
    ]);
  });

  // The Alertmanager configuration generator takes them as they are.
  it('rejects wrong alert receivers, naming every field', () => {
    const text = edit(staging, (doc) => {
      doc.setIn(['monitoring', 'alertmanager', 'slack', 'channel'], '');
      doc.setIn(['monitoring', 'alertmanager', 'email', 'to'], doc.createNode([]));
      doc.setIn(['monitoring', 'alertmanager', 'email', 'from'], 'nobody');
      doc.setIn(['monitoring', 'alertmanager', 'email', 'smarthost'], 'smtp.gravl.app');
      doc.setIn(['monitoring', 'alertmanager', 'email', 'username'], '');
    });
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.alertmanager\.slack\.channel: found "", expected a value matching \^#\[a-z0-9_-\]\+\$$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.alertmanager\.email\.to: found a list, expected a value of type string$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.alertmanager\.email\.from: found "nobody", expected an e-mail address$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.alertmanager\.email\.smarthost: found "smtp\.gravl\.app", expected host:port, such as smtp\.gravl\.app:587$/),
      expect.stringMatching(/^environments\/staging\.yaml:\d+:\d+: monitoring\.alertmanager\.email\.username: found "", expected a non-empty string$/),
    ]);
  });

  it('says to quote a number where a string is wanted (cpu: 1 is a number to YAML)', () => {
    const text = edit(production, (doc) => doc.setIn(['backend', 'resources', 'limits', 'cpu'], 1));
    expect(problemsOf({ production: text })).toEqual([expect.stringMatching(/^environments\/production\.yaml:\d+:\d+: backend\.resources\.limits\.cpu: found 1, expected a string: write it in quotes, "1"$/)]);
  });

  it('rejects a missing required key', () => {
    const text = edit(staging, (doc) => doc.deleteIn(['host']));
    expect(problemsOf({ staging: text })).toEqual([expect.stringMatching(/^environments\/staging\.yaml:\d+:1: host: found nothing, expected this key to be set$/)]);
  });

  it('rejects images tagged latest or not tagged at all', () => {
    const latest = edit(staging, (doc) => doc.setIn(['backend', 'image'], 'registry.gravl.app/gravl/backend:latest'));
    const untagged = edit(staging, (doc) => doc.setIn(['frontend', 'image'], 'registry.gravl.app/gravl/frontend'));
    expect(problemsOf({ staging: latest })).toEqual([expect.stringMatching(/backend\.image: found ".*:latest", expected an image pinned to a version tag/)]);
    expect(problemsOf({ staging: untagged })).toEqual([expect.stringMatching(/frontend\.image: found ".*frontend", expected an image pinned/)]);
  });

  it('rejects a production image without a digest', () => {
    const text = edit(production, (doc) => doc.setIn(['backend', 'image'], 'registry.gravl.app/gravl/backend:1.4.2'));
    expect(problemsOf({ production: text })).toEqual([
      expect.stringMatching(/backend\.image: found "registry\.gravl\.app\/gravl\/backend:1\.4\.2" without a digest, expected a production image pinned by tag and @sha256 digest$/),
    ]);
  });

  it('rejects a production environment whose backups are not copied off-site, naming the file and the field', () => {
    const text = edit(production, (doc) => doc.deleteIn(['postgres', 'backup', 'objectStorage']));
    expect(problemsOf({ production: text })).toEqual([
      expect.stringMatching(/^environments\/production\.yaml:\d+:\d+: postgres\.backup\.objectStorage: found nothing, expected the S3-compatible object storage .* that production copies every dump to off-site$/),
    ]);
    const staging2 = edit(staging, (doc) => doc.set('production', false));
    expect(problemsOf({ staging: staging2 })).toEqual([]);
  });

  it('rejects fewer than two replicas in production, for replicas and for HPA minimums', () => {
    const text = edit(production, (doc) => {
      doc.deleteIn(['frontend', 'autoscaling']);
      doc.setIn(['frontend', 'replicas'], 1);
      doc.setIn(['backend', 'autoscaling', 'minReplicas'], 1);
    });
    const problems = problemsOf({ production: text });
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringContaining('frontend.replicas: found 1, expected at least 2 replicas in production'),
      expect.stringContaining('backend.autoscaling.minReplicas: found 1, expected at least 2 in production'),
    ]));
    expect(problems).toHaveLength(2);
  });

  it('rejects a request above its limit', () => {
    const text = edit(staging, (doc) => doc.setIn(['backend', 'resources', 'requests', 'cpu'], '2'));
    expect(problemsOf({ staging: text })).toEqual([expect.stringContaining('backend.resources.requests.cpu: found request 2 above limit 500m')]);
  });

  it('rejects an HPA whose minimum is above its maximum', () => {
    const text = edit(production, (doc) => {
      doc.setIn(['backend', 'autoscaling', 'minReplicas'], 12);
      doc.setIn(['backend', 'autoscaling', 'maxReplicas'], 10);
    });
    expect(problemsOf({ production: text })).toEqual([expect.stringContaining('backend.autoscaling.minReplicas: found 12 above maxReplicas 10')]);
  });

  it("rejects a copy that keeps another environment's Gateway proxies (Envoy Gateway's owning-gateway-namespace label)", () => {
    const copied = edit(staging, (doc) => doc.set('namespace', 'gravl-qa'));
    expect(problemsOf({ qa: copied })).toEqual([expect.stringContaining('found "gravl-staging", expected "gravl-qa", the namespace of this environment\'s Gateway (Envoy Gateway labels its proxies with it)')]);
    const fixed = edit(copied, (doc) => doc.setIn(['edge', 'gateway', 'dataPlane', 'podLabels', 'gateway.envoyproxy.io/owning-gateway-namespace'], 'gravl-qa'));
    expect(problemsOf({ qa: fixed }).filter((p) => p.includes('owning-gateway'))).toEqual([]);
    // During a migration (both) the Gateway serves too; behind ingress-nginx alone the label is not read.
    expect(problemsOf({ qa: edit(copied, (doc) => doc.setIn(['edge', 'kind'], 'both')) }).filter((p) => p.includes('owning-gateway'))).toHaveLength(1);
    expect(problemsOf({ qa: edit(copied, (doc) => doc.setIn(['edge', 'kind'], 'ingress')) }).filter((p) => p.includes('owning-gateway'))).toEqual([]);
  });

  it('rejects a cluster issuer the environment does not define', () => {
    const text = edit(staging, (doc) => doc.setIn(['tls', 'clusterIssuer'], 'letsencrypt'));
    expect(problemsOf({ staging: text })).toEqual([
      expect.stringContaining('tls.clusterIssuer: found "letsencrypt", expected one of the ClusterIssuers this environment defines: letsencrypt-prod, letsencrypt-staging, selfsigned-issuer, internal-ca-issuer'),
    ]);
    const noCa = edit(staging, (doc) => {
      doc.setIn(['features', 'internalCa'], false);
      doc.setIn(['tls', 'clusterIssuer'], 'internal-ca-issuer');
    });
    expect(problemsOf({ staging: noCa })).toEqual([expect.stringContaining('tls.clusterIssuer: found "internal-ca-issuer"')]);
  });

  it('rejects dns01 without Cloudflare zones', () => {
    const text = edit(staging, (doc) => doc.setIn(['features', 'dns01'], true));
    expect(problemsOf({ staging: text })).toEqual([expect.stringContaining('features.dns01: found true without tls.acme.cloudflare')]);
  });

  it('rejects a file name that cannot name a folder and an environment', () => {
    expect(problemsOf({ Staging_2: staging })).toEqual([expect.stringContaining('found environment name "Staging_2", expected a lowercase DNS label')]);
  });

  it('rejects two environments serving the same host', () => {
    expect(problemsOf({ staging, 'staging-copy': staging.replaceAll('gravl-staging', 'gravl-staging2') })).toEqual([
      'environments/staging-copy.yaml: host: found "staging.gravl.app", which environments/staging.yaml serves already; expected a host of its own',
    ]);
  });

  it('reports every problem of every file at once, schema and rules together', () => {
    const first = edit(staging, (doc) => {
      doc.setIn(['backend', 'resources', 'limits', 'memory'], 'lots');
      doc.setIn(['postgres', 'storage', 'storageClassName'], 'standard');
      doc.setIn(['frontend', 'colour'], 'blue');
    });
    const problems = problemsOf({ staging: first, broken: 'a: [' });
    expect(problems).toHaveLength(4);
    expect(problems.filter((p) => p.startsWith('environments/staging.yaml'))).toHaveLength(3);
    expect(problems.filter((p) => p.startsWith('environments/broken.yaml'))).toHaveLength(1);
  });
});
