// The Gravl load test (k6), as signed off: health, exercises list and metrics scenarios with
// 10 virtual users for 5 minutes, against the environment's public host. The `options` above this
// body are generated from lib/load-test/load-test.ts, so the thresholds live in one place.
//
//   GRAVL_API_URL      public base URL, e.g. https://staging.gravl.app
//   GRAVL_METRICS_URL  the backend's metrics endpoint inside the cluster
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Rate } from 'k6/metrics';

const errors = new Rate('errors');
const api = __ENV.GRAVL_API_URL;
const metrics = __ENV.GRAVL_METRICS_URL;

function record(response, name) {
  const ok = check(response, { [`${name} answered 2xx`]: (r) => r.status >= 200 && r.status < 300 });
  errors.add(!ok);
  // Each virtual user waits between requests, as users do: about 20 requests a second at 10 users.
  sleep(0.5);
}

export function health() {
  record(http.get(`${api}/api/health`, { tags: { endpoint: 'health' } }), 'health');
}

export function exercises() {
  record(http.get(`${api}/api/exercises`, { tags: { endpoint: 'exercises' } }), 'exercises');
}

export function scrape() {
  record(http.get(metrics, { tags: { endpoint: 'metrics' } }), 'metrics');
}

// The whole summary as one JSON line after a marker, so `kubectl logs job/load-test` can be handed
// to `npm run readiness -- --k6-summary FILE` as it is; it names the host it ran against.
export function handleSummary(data) {
  return { stdout: `\nK6_SUMMARY_JSON ${JSON.stringify({ ...data, gravl: { apiUrl: api } })}\n` };
}
