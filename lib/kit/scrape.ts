/**
 * What Prometheus scrapes, declared once by each workload that serves metrics, where it is built:
 * `metrics.scrape({ job, workload, port })`. The monitoring component derives everything else from
 * the declarations: the scrape jobs of prometheus.yml, and the flow that opens each metrics port to
 * the scraper. A workload of the system nobody declared is never scraped, and a declared one is
 * always reachable. What runs outside the system (the nodes' kubelets, cert-manager, the edge's
 * data plane) is not a workload of it: Monitoring scrapes those where the environment says they run.
 */
import type { AddressRange } from './network/peers';
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

/** The environment's scrape targets, and who scrapes them. */
export class ScrapeTargets {
  private readonly declared: ScrapeTarget[] = [];
  private scraper?: Workload;

  /** Declares a target; its port is opened to the scraper. */
  scrape(target: ScrapeTarget): void {
    target.workload.port(target.port); // throws naming the workload's ports when it has no such port
    const twice = this.declared.find((t) => t.job === target.job);
    if (twice) throw new Error(`scrape job ${target.job} is declared by ${twice.workload.name} and by ${target.workload.name}: a job is one target`);
    this.declared.push(target);
    if (this.scraper) this.open(this.scraper, target);
  }

  /** Names the scraper: every target, declared before or after, is opened to it. */
  scrapedBy(scraper: Workload): void {
    if (this.scraper) throw new Error(`scrape targets already have a scraper (${this.scraper.name})`);
    this.scraper = scraper;
    for (const target of this.declared) this.open(scraper, target);
  }

  /** Every declared target, in declaration order. */
  get targets(): readonly ScrapeTarget[] {
    return [...this.declared];
  }

  private open(scraper: Workload, target: ScrapeTarget): void {
    if (target.at) for (const range of target.at) scraper.allowTo(range, target.workload.port(target.port));
    else scraper.allowTo(target.workload, target.port);
  }
}
