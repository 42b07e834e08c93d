/**
 * The charts of one environment, declared once in apply order. Each chart becomes one file of
 * `dist/<env>/` (`NNNN-<chart>.k8s.yaml`), applied after every chart declared before it; a manual
 * chart is rendered beside them (`manual/<chart>.k8s.yaml`) and never applied by a sync. A
 * component builds its parts in the charts it is handed, so one component may span several waves
 * (the database before the migrations, its backups last).
 */
import { App, Chart } from 'cdk8s';

/**
 * A chart of objects that are applied on purpose only (a restore Job, a load test): rendered as
 * `manual/<chart>.k8s.yaml`, left out of the kustomization so no sync applies it.
 */
export class ManualChart extends Chart {
  // cdk8s answers `instanceof` for any chart with any Chart subclass, so the mark is explicit.
  readonly manualChart = true;

  /** Whether a chart is one of these. */
  static isManual(chart: Chart): boolean {
    return (chart as unknown as { manualChart?: boolean }).manualChart === true;
  }
}

/** The charts of an App, by name: the applied ones chained in the order given, the manual ones apart. */
export class ApplyOrder<Applied extends string, Manual extends string> {
  private readonly charts = new Map<string, Chart>();

  /**
   * @param applied chart names in the order a sync applies them
   * @param manual chart names of objects applied by hand only
   * @param labels labels of every object
   */
  constructor(app: App, applied: readonly Applied[], manual: readonly Manual[], labels: Readonly<Record<string, string>>) {
    let last: Chart | undefined;
    for (const id of applied) {
      const chart = new Chart(app, id, { labels: { ...labels } });
      if (last) chart.addDependency(last);
      this.charts.set(id, chart);
      last = chart;
    }
    for (const id of manual) this.charts.set(id, new ManualChart(app, id, { labels: { ...labels } }));
  }

  /** The chart of this name. */
  chart(id: Applied | Manual): Chart {
    return this.charts.get(id)!;
  }
}
