// The Gravl load test (k6), as signed off: public traffic at a fixed arrival rate (more than 100
// requests a second; in production ramping on to a peak so that the HPA scales out), against the
// environment's public host, and a slow scrape of the backend's metrics inside the cluster. The
// `options` above this body are generated from lib/system/load-test/index.ts, so the thresholds and
// the rates live in one place.
//
//   GRAVL_API_URL      public base URL, e.g. https://staging.gravl.app
//   GRAVL_METRICS_URL  the backend's metrics endpoint inside the cluster
//   GRAVL_RELEASE      the backend image the environment runs (the summary names it, so readiness
//                      counts a run only for the release it measured)
import http from 'k6/http';
import { check, sleep } from 'k6';
import { Rate } from 'k6/metrics';

const errors = new Rate('errors');
const api = __ENV.GRAVL_API_URL;
const metrics = __ENV.GRAVL_METRICS_URL;
const release = __ENV.GRAVL_RELEASE;

function record(response, name) {
  const ok = check(response, { [`${name} answered 2xx`]: (r) => r.status >= 200 && r.status < 300 });
  errors.add(!ok);
}

// One request per iteration: the arrival-rate executor starts iterations on schedule, so no sleep.
// Exercises 55%, health 45%, as the signed-off mix of the two endpoints.
export function traffic() {
  if (Math.random() < 0.55) record(http.get(`${api}/api/exercises`, { tags: { endpoint: 'exercises', scope: 'public' } }), 'exercises');
  else record(http.get(`${api}/api/health`, { tags: { endpoint: 'health', scope: 'public' } }), 'health');
}

// Internal: out of the latency and throughput thresholds (tag scope internal), once a second.
export function scrape() {
  record(http.get(metrics, { tags: { endpoint: 'metrics', scope: 'internal' } }), 'metrics');
  sleep(1);
}

// The whole summary as one JSON line after a marker, so `kubectl logs job/load-test` can be handed
// to `npm run readiness -- --k6-summary FILE` as it is; it names the host it ran against.
export function handleSummary(data) {
  return { stdout: `\nK6_SUMMARY_JSON ${JSON.stringify({ ...data, gravl: { apiUrl: api, release } })}\n` };
}
