/**
 * The one-line live status of `pnpm ami up` (pure: a snapshot in, a line out), e.g.
 * `14:02:11 UTC · 5/5 up · sim 2026-11-23 13:45 (−17 min) 1.92 M reads · backfill 1/2 days · published through 2026-11-22 v7 (2 gap days unpublished) · 3 open alerts`
 *
 * The batch part names the watermark's local day — the latest published day, the end of the run of
 * consecutive published days that holds it (@ami/shared/catalog published.ts) — not "authoritative
 * through": days before the run may be unpublished gaps (a failed build, an old day published
 * alone), which the realtime view answers; their count follows when the catalog summary shows it.
 */
import { isValidLocalDate, localDate, localDaysBetween, parseIsoInstant } from '@ami/shared/time';
import type { ProcessStatus } from './supervisor.ts';

export interface PlatformSnapshot {
  readonly nowMs: number;
  readonly processes: readonly ProcessStatus[];
  /** Live simulator status (null: not running or not answering). */
  readonly sim: { readonly clock: string; readonly reads: number; readonly lagS: number } | null;
  readonly controlUrl: string | null;
  readonly backfill: {
    readonly state: 'waiting-for-history' | 'archiving' | 'running' | 'done' | 'failed';
    readonly done: number;
    readonly total: number;
  } | null;
  /** Batch watermark (an instant: the end of the latest published local day, see the header). */
  readonly watermark: string | null;
  /** Unpublished local days between the first and the latest published day (null: unknown). */
  readonly gapDays?: number | null;
  /** AMI_TIMEZONE: the watermark is shown as the local day it closes. */
  readonly timeZone: string;
  readonly version: string | null;
  readonly openAlerts: number | null;
}

function hhmmss(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

/** 1234 → "1.2 k", 1_920_000 → "1.92 M". */
export function compactCount(n: number): string {
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e4) return `${(n / 1e3).toFixed(0)} k`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return String(n);
}

/** Seconds behind the wall clock as "live", "−17 min", "−2.5 h", "−1.2 d". */
export function lagText(lagS: number): string {
  if (lagS < 600) return 'live';
  if (lagS < 5400) return `−${Math.round(lagS / 60)} min`;
  if (lagS < 172_800) return `−${(lagS / 3600).toFixed(1)} h`;
  return `−${(lagS / 86_400).toFixed(1)} d`;
}

/** A view of GET /v1/catalog's summary (the fields the gap count needs). */
export interface CatalogViewSummary {
  readonly partitions: number;
  readonly firstPartition: string | null;
  readonly lastPartition: string | null;
}

/**
 * Unpublished days inside the published range, from the catalog summary's daily views (`date=`
 * partitions): the most days any of them lacks between its first and last partition (a day is
 * published only when every daily view has it; a build publishes them together). Null when no
 * daily view is published.
 */
export function unpublishedGapDays(views: readonly CatalogViewSummary[]): number | null {
  let gaps: number | null = null;
  for (const v of views) {
    const first = v.firstPartition?.startsWith('date=') ? v.firstPartition.slice(5) : null;
    const last = v.lastPartition?.startsWith('date=') ? v.lastPartition.slice(5) : null;
    if (first === null || last === null || !isValidLocalDate(first) || !isValidLocalDate(last)) continue;
    const missing = localDaysBetween(first, last) + 1 - v.partitions;
    gaps = Math.max(gaps ?? 0, missing, 0);
  }
  return gaps;
}

/** `published through 2026-11-22 v7 (2 gap days unpublished)`, or `no batch views yet`. */
function batchPart(s: PlatformSnapshot): string {
  if (!s.watermark) return 'no batch views yet';
  const day = localDate(parseIsoInstant(s.watermark) - 1, s.timeZone);
  const gaps = s.gapDays ?? 0;
  const gapText = gaps > 0 ? ` (${gaps} gap day${gaps === 1 ? '' : 's'} unpublished)` : '';
  return `published through ${day}${s.version ? ` ${s.version}` : ''}${gapText}`;
}

export function statusLine(s: PlatformSnapshot): string {
  const parts: string[] = [`${hhmmss(s.nowMs)} UTC`];
  const up = s.processes.filter((p) => p.state === 'running').length;
  const down = s.processes.filter((p) => p.state !== 'running').map((p) => `${p.name} ${p.state}`);
  parts.push(`${up}/${s.processes.length} up${down.length > 0 ? ` (${down.join(', ')})` : ''}`);
  if (s.sim) {
    parts.push(
      `sim ${s.sim.clock.slice(0, 16).replace('T', ' ')} (${lagText(s.sim.lagS)}) ${compactCount(s.sim.reads)} reads`,
    );
  }
  if (s.backfill) {
    const b = s.backfill;
    parts.push(
      b.state === 'running' || b.state === 'done'
        ? `backfill ${b.done}/${b.total} days${b.state === 'done' ? ' ✓' : ''}`
        : `backfill ${b.state.replaceAll('-', ' ')}`,
    );
  }
  parts.push(batchPart(s));
  if (s.openAlerts !== null) parts.push(`${s.openAlerts} open alert${s.openAlerts === 1 ? '' : 's'}`);
  if (s.controlUrl) parts.push(`control ${s.controlUrl}`);
  return parts.join(' · ');
}
