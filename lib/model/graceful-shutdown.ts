/**
 * How a pod leaves without dropping a request. When a pod is deleted (rollout, HPA scale-down,
 * drain), Kubernetes removes it from the Service's endpoints while it signals the containers; the
 * kube-proxies and the edge's proxies learn of it a few seconds later and keep sending it requests
 * until then. So the container first waits (`preStop`, a `sleep` both images ship: Kubernetes 1.28
 * has no built-in sleep action) longer than that propagation, then receives SIGTERM and finishes
 * the requests it holds; `terminationGracePeriodSeconds` covers both.
 */
export const GRACEFUL_SHUTDOWN = {
  /** The longest the endpoint removal takes to reach every proxy, as budgeted (seconds). */
  endpointPropagationSeconds: 10,
  /** The preStop wait: longer than the propagation, with margin. */
  preStopDelaySeconds: 15,
  /** What the containers get after SIGTERM for the requests in flight (the slowest signed-off request is far under it). */
  inFlightSeconds: 30,
  /** preStop delay plus in-flight time: SIGKILL never comes before both. */
  terminationGracePeriodSeconds: 45,
} as const;
