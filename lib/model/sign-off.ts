/**
 * The numbers the production sign-off fixes, in one place: the load test's pass criteria, the
 * alerts and the dashboards' threshold lines all read them, so they cannot drift apart. The tests
 * assert the literal figures of the sign-off, so a change here is a change of the sign-off.
 */
export const SIGN_OFF = {
  /** p95 request latency target, in milliseconds (load test threshold, HighRequestLatency alert, Latency dashboard). */
  latencyP95Ms: 200,
  /** p99 request latency target of the load test, in milliseconds. */
  latencyP99Ms: 500,
  /** Failed-request share the load test tolerates (0.1%). */
  loadTestErrorRate: 0.001,
  /** Requests per second the public host must serve within the latency and error targets ("more than 100"). */
  throughputRps: 100,
  /** 5xx share above which HighErrorRate fires in production traffic (1%), and the Error Rate dashboard's line. */
  alertErrorRate: 0.01,
} as const;
