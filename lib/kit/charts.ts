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

/**
 * A chart of the last wave, which it shares with the other charts of the last wave: objects that may
 * stay unhealthy for a while on a new cluster (a claim that binds only when its first pod runs, a
 * Gateway listener whose certificate waits for DNS), behind which nothing may wait, since Argo CD
 * proceeds from a wave only once it is healthy and fails a sync on a Degraded one.
 */
export class LastWaveChart extends Chart {
  readonly lastWaveChart = true;

  /** Whether a chart is one of these. */
  static isLastWave(chart: Chart): boolean {
    return (chart as unknown as { lastWaveChart?: boolean }).lastWaveChart === true;
  }
}

/** The charts of an App, by name: the applied ones chained in the order given, the manual ones apart. */
export class ApplyOrder<Applied extends string, Manual extends string> {
  private readonly charts = new Map<string, Chart>();

  /**
   * @param applied chart names in the order a sync applies them
   * @param manual chart names of objects applied by hand only
   * @param labels labels of every object
   * @param lastWave applied charts that share the last wave (declared last, in this order)
   */
  constructor(app: App, applied: readonly Applied[], manual: readonly Manual[], labels: Readonly<Record<string, string>>, lastWave: readonly Applied[] = []) {
    let last: Chart | undefined;
    for (const id of applied) {
      const chart = lastWave.includes(id) ? new LastWaveChart(app, id, { labels: { ...labels } }) : new Chart(app, id, { labels: { ...labels } });
      if (last) chart.addDependency(last);
      this.charts.set(id, chart);
      last = chart;
    }
    // The last wave's charts come last, together.
    const firstOfLast = applied.findIndex((id) => lastWave.includes(id));
    if (firstOfLast !== -1 && applied.slice(firstOfLast).some((id) => !lastWave.includes(id))) throw new Error(`ApplyOrder: the last wave's charts (${lastWave.join(', ')}) must come after every other applied chart`);
    for (const id of manual) this.charts.set(id, new ManualChart(app, id, { labels: { ...labels } }));
  }

  /** The chart of this name. */
  chart(id: Applied | Manual): Chart {
    return this.charts.get(id)!;
  }
}
