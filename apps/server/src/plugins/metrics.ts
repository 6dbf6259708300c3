/**
 * Prometheus text exposition without a dependency. SageMaker's detailed observability scrapes
 * `/metrics` on port 8080 when nothing else is configured (sagemaker-notes §1.5).
 */
const BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

function labelString(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

export class Metrics {
  private readonly requests = new Map<string, { labels: Record<string, string>; n: number }>();
  private readonly latency = new Map<string, { labels: Record<string, string>; counts: number[]; sum: number; n: number }>();
  private readonly stageSum = new Map<string, number>();
  inFlight = 0;

  constructor(private readonly gauges: () => Record<string, { help: string; value: number }>) {}

  observeRequest(route: string, status: number, code: string, seconds: number): void {
    const labels = { route, status: String(status), code };
    const key = labelString(labels);
    const r = this.requests.get(key) ?? { labels, n: 0 };
    r.n++;
    this.requests.set(key, r);
    const lKey = labelString({ route });
    const h = this.latency.get(lKey) ?? { labels: { route }, counts: BUCKETS_S.map(() => 0), sum: 0, n: 0 };
    BUCKETS_S.forEach((b, i) => {
      if (seconds <= b) h.counts[i]!++;
    });
    h.sum += seconds;
    h.n++;
    this.latency.set(lKey, h);
  }

  observeStages(timingsMs: Record<string, number>): void {
    for (const [stage, ms] of Object.entries(timingsMs)) this.stageSum.set(stage, (this.stageSum.get(stage) ?? 0) + ms / 1000);
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP vad_requests_total HTTP requests by route, status and error code ("ok" on success).');
    out.push('# TYPE vad_requests_total counter');
    for (const r of this.requests.values()) out.push(`vad_requests_total${labelString(r.labels)} ${r.n}`);
    out.push('# HELP vad_request_duration_seconds Request latency.');
    out.push('# TYPE vad_request_duration_seconds histogram');
    for (const h of this.latency.values()) {
      BUCKETS_S.forEach((b, i) => out.push(`vad_request_duration_seconds_bucket${labelString({ ...h.labels, le: String(b) })} ${h.counts[i]}`));
      out.push(`vad_request_duration_seconds_bucket${labelString({ ...h.labels, le: '+Inf' })} ${h.n}`);
      out.push(`vad_request_duration_seconds_sum${labelString(h.labels)} ${h.sum}`);
      out.push(`vad_request_duration_seconds_count${labelString(h.labels)} ${h.n}`);
    }
    out.push('# HELP vad_stage_seconds_total Time spent per pipeline stage (decode, flow, regions, features, density, fetch, queue).');
    out.push('# TYPE vad_stage_seconds_total counter');
    for (const [stage, s] of this.stageSum) out.push(`vad_stage_seconds_total${labelString({ stage })} ${s}`);
    out.push('# HELP vad_inflight_requests Invocations being processed.');
    out.push('# TYPE vad_inflight_requests gauge');
    out.push(`vad_inflight_requests ${this.inFlight}`);
    for (const [name, g] of Object.entries(this.gauges())) {
      out.push(`# HELP ${name} ${g.help}`);
      out.push(`# TYPE ${name} gauge`);
      out.push(`${name} ${g.value}`);
    }
    return out.join('\n') + '\n';
  }
}
