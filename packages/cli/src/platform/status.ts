/**
 * The one-line live status of `pnpm ami up` (pure: a snapshot in, a line out), e.g.
 * `14:02:11 UTC · 5/5 up · sim 2026-11-23 13:45 (−17 min) 1.92 M reads · backfill 1/2 days · authoritative through 2026-11-22 v7 · 3 open alerts`
 */
import { localDate, parseIsoInstant } from '@ami/shared/time';
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
  /** Batch watermark (an instant: the end of the last contiguous authoritative local day). */
  readonly watermark: string | null;
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
  parts.push(
    s.watermark
      ? `authoritative through ${localDate(parseIsoInstant(s.watermark) - 1, s.timeZone)} ${s.version ?? ''}`.trim()
      : 'no batch views yet',
  );
  if (s.openAlerts !== null) parts.push(`${s.openAlerts} open alert${s.openAlerts === 1 ? '' : 's'}`);
  if (s.controlUrl) parts.push(`control ${s.controlUrl}`);
  return parts.join(' · ');
}
