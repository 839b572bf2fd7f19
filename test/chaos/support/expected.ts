/**
 * What the platform must show after a prefix of the stream: every valid interval read of a known
 * meter produced so far, reduced by the platform's one latest-wins rule (pickLatest) — so
 * duplicates, re-sent batches and corrections count once, with the winning value. At the end of the
 * stream this equals the simulator's truth (the faults used here keep the truth deliverable), and
 * both the realtime view and the published views must equal it exactly.
 */
import { pickLatest, validateRead, type TopologyRow, type ValidIntervalRead } from '@ami/shared/contracts';
import { formatIsoOffset, intervalIndexInLocalDay, localDate } from '@ami/shared/time';
import { expectedFromTruth, type SimRun, type TruthView } from '@ami/speed-layer/testing';

/** The winning version of every interval read produced so far, by `meter|startMs`. */
export class ProducedReads {
  readonly latest = new Map<string, ValidIntervalRead>();
  private readonly meters: ReadonlySet<string>;

  constructor(
    topology: readonly TopologyRow[],
    private readonly timeZone: string,
  ) {
    this.meters = new Set(topology.map((r) => r.meter_id));
  }

  /** Records one produced read message (invalid ones and unknown meters change nothing). */
  add(value: string, nowMs: number): void {
    const v = validateRead(value, { nowMs, timeZone: this.timeZone });
    if (!v.ok || v.read.read_type !== 'INTERVAL' || !this.meters.has(v.read.meter_id)) return;
    const k = `${v.read.meter_id}|${v.read.intervalStartMs}`;
    this.latest.set(k, pickLatest(this.latest.get(k), v.read));
  }

  /** Wh of the interval read produced for (meter, start), or undefined when none was. */
  wh(meterId: string, startMs: number): number | undefined {
    return this.latest.get(`${meterId}|${startMs}`)?.consumptionWh;
  }

  /** The realtime view these reads must give (same reduction as the simulator truth's). */
  view(run: SimRun): TruthView {
    const truthLines = [...this.latest.values()].map((r) =>
      JSON.stringify({
        meter_id: r.meter_id,
        interval_start: formatIsoOffset(r.intervalStartMs, this.timeZone),
        wh: r.consumptionWh,
      }),
    );
    return expectedFromTruth({ ...run, truthLines });
  }

  /** Local dates with at least one produced interval. */
  dates(): string[] {
    return [
      ...new Set([...this.latest.values()].map((r) => localDate(r.intervalStartMs, this.timeZone))),
    ].sort();
  }

  /** Meter-days every interval of which was produced, with their Wh sum (`meter|date` → Wh). */
  completeDays(
    meterIds: readonly string[],
    dates: readonly string[],
    slotsOf: (date: string) => number,
  ): Map<string, number> {
    const counts = new Map<string, { n: number; wh: number }>();
    for (const r of this.latest.values()) {
      const k = `${r.meter_id}|${localDate(r.intervalStartMs, this.timeZone)}`;
      const c = counts.get(k) ?? { n: 0, wh: 0 };
      c.n++;
      c.wh += r.consumptionWh;
      counts.set(k, c);
    }
    const out = new Map<string, number>();
    for (const m of meterIds)
      for (const d of dates) {
        const c = counts.get(`${m}|${d}`);
        if (c !== undefined && c.n === slotsOf(d)) out.set(`${m}|${d}`, c.wh);
      }
    return out;
  }

  /** `meter|date|slot` of a produced read (for diffs). */
  slotKey(r: ValidIntervalRead): string {
    return `${r.meter_id}|${localDate(r.intervalStartMs, this.timeZone)}|${intervalIndexInLocalDay(r.intervalStartMs, this.timeZone)}`;
  }
}

/** Differences between two views (expected first), at most `limit` listed, and their number. */
export function diffViews(
  expected: TruthView,
  actual: TruthView,
  limit = 10,
): { count: number; compared: number; first: string[] } {
  const first: string[] = [];
  let count = 0;
  let compared = 0;
  const note = (what: string) => {
    count++;
    if (first.length < limit) first.push(what);
  };
  for (const part of ['intervals', 'daily', 'grid'] as const) {
    const e = expected[part] as Map<string, unknown>;
    const a = actual[part] as Map<string, unknown>;
    for (const [k, v] of e) {
      compared++;
      const got = a.get(k);
      if (JSON.stringify(got) !== JSON.stringify(v))
        note(`${part} ${k}: expected ${JSON.stringify(v)}, got ${JSON.stringify(got)}`);
    }
    for (const [k, v] of a) if (!e.has(k)) note(`${part} ${k}: not expected, got ${JSON.stringify(v)}`);
  }
  return { count, compared, first };
}
