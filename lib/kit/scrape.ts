/**
 * What Prometheus scrapes, declared once by each workload that serves metrics, where it is built:
 * `metrics.scrape({ job, workload, port })`. The monitoring component derives everything else from
 * the declarations: the scrape jobs of prometheus.yml, and the flow that opens each metrics port to
 * the scraper. Pods outside the system are declared the same way by the component that knows
 * them (the edge's data plane by the Backend, cert-manager's controller by Security), so nothing is
 * scraped that nobody declared, and everything declared is reachable. Only the nodes' kubelets
 * are Prometheus's own, found through node discovery.
 */
import type { AddressRange, ForeignPods } from './network/peers';
import type { PodWorkload } from './pod-workload';
import type { Workload } from './workload';

/** One Service port Prometheus scrapes. */
export interface ScrapeTarget {
  /** The `job` label of its series: the name every alert and dashboard selects on. */
  readonly job: string;
  /** The workload serving the metrics, behind its Service. */
  readonly workload: PodWorkload;
  /** The name of its metrics port (a port of the workload and of its Service). */
  readonly port: string;
  /**
   * Attach the target's namespace, pod, node and service as labels. Off for exporters that report
   * on other objects (kube-state-metrics), whose series carry those labels of what they describe.
   * @default true
   */
  readonly targetLabels?: boolean;
  /**
   * Where the scraper connects, when not to the pods by their labels: a host-network agent is
   * reached at the nodes' addresses, which NetworkPolicies can only name by address.
   * @default the workload's pods
   */
  readonly at?: readonly AddressRange[];
}

/** Pods this generator does not deploy, scraped where they run (another operator's controller, the edge's proxies). */
export interface PodScrapeTarget {
  /** The `job` label of its series. */
  readonly job: string;
  readonly pods: ForeignPods;
  /** The container port that serves the metrics. */
  readonly port: number;
  /** @default /metrics */
  readonly path?: string;
  /**
   * How Prometheus finds the port: `declared`, among the container ports the pods declare (one
   * target per pod that declares it), or `address`, the pod's address on this port whatever the
   * pods declare (for proxies whose stats port is not a declared container port).
   */
  readonly find: 'declared' | 'address';
}

/** The environment's scrape targets, and who scrapes them. */
export class ScrapeTargets {
  private readonly declared: ScrapeTarget[] = [];
  private readonly declaredPods: PodScrapeTarget[] = [];
  private scraper?: Workload;
  private closed = false;

  /** Declares a target; its port is opened to the scraper. */
  scrape(target: ScrapeTarget): void {
    this.assertOpen();
    target.workload.port(target.port); // throws naming the workload's ports when it has no such port
    this.checkJob(target.job, target.workload.name);
    this.declared.push(target);
    if (this.scraper) this.open(this.scraper, target);
  }

  /** Declares pods outside the system; their port is opened to the scraper. */
  scrapePods(target: PodScrapeTarget): void {
    this.assertOpen();
    this.checkJob(target.job, target.pods.description);
    this.declaredPods.push(target);
    if (this.scraper) this.scraper.allowTo(target.pods, target.port);
  }

  private checkJob(job: string, by: string): void {
    const twice = this.declared.find((t) => t.job === job)?.workload.name ?? this.declaredPods.find((t) => t.job === job)?.pods.description;
    if (twice !== undefined) throw new Error(`scrape job ${job} is declared by ${twice} and by ${by}: a job is one target`);
  }

  /** Names the scraper: every target, declared before or after, is opened to it. */
  scrapedBy(scraper: Workload): void {
    if (this.scraper) throw new Error(`scrape targets already have a scraper (${this.scraper.name})`);
    this.scraper = scraper;
    for (const target of this.declared) this.open(scraper, target);
    for (const target of this.declaredPods) scraper.allowTo(target.pods, target.port);
  }

  /** Every declared workload target, in declaration order. */
  get targets(): readonly ScrapeTarget[] {
    return [...this.declared];
  }

  /**
   * The namespaces the scraper must discover in: those of the system's workloads, then those of
   * the pods outside it, each in declaration order. Closes the declarations: the scraper's access
   * is granted from this list, so a target declared after it would be out of reach.
   */
  discoveryNamespaces(): string[] {
    this.closed = true;
    return [...new Set([...this.declared.map((t) => t.workload.namespace), ...this.declaredPods.map((t) => t.pods.namespace)])];
  }

  private assertOpen(): void {
    if (this.closed) throw new Error('scrape targets are closed: the scraper\'s discovery was granted already; declare targets before Monitoring.finalize()');
  }

  /** Every declared target outside the system, in declaration order. */
  get podTargets(): readonly PodScrapeTarget[] {
    return [...this.declaredPods];
  }

  private open(scraper: Workload, target: ScrapeTarget): void {
    if (target.at) for (const range of target.at) scraper.allowTo(range, target.workload.port(target.port));
    else scraper.allowTo(target.workload, target.port);
  }
}
