/**
 * What the API knows about meters and service points: the topology (SPEC 3.4) the speed layer and
 * the batch worker read, the JSONL file AMI_TOPOLOGY_FILE. Two questions only:
 *  - `meterAt`: has the meter a topology version active at an instant? The rule of UNKNOWN_METER
 *    (checkKnownMeterAt): the batch worker builds a day for the meters with a version during it, so
 *    an edit of a meter without one would be stored and never applied (POST /v1/edits: 422);
 *  - `servicePointDuring`: has the service point a version during a period? One without is unknown
 *    to billing whether or not the period is final (GET /v1/billing/determinants: 404).
 * `TopologyFile` re-reads the file when it changes (size or modification time, looked at most every
 * `checkEveryMs`), as the batch worker re-reads it per build, so an updated topology is seen without
 * a restart; `topologyOfRows` serves rows held in memory (tests).
 */
import { stat } from 'node:fs/promises';
import {
  buildTopologyIndex,
  checkKnownMeterAt,
  type TopologyIndex,
  type TopologyRow,
} from '@ami/shared/contracts';
import { parseIsoInstant } from '@ami/shared/time';
import { loadTopologyRows } from '@ami/shared/topology-file';

export type MeterCheck = { readonly known: true } | { readonly known: false; readonly why: string };

export interface TopologyLookup {
  /** Whether the meter has a topology version active at `atMs` (else why not, one line). */
  meterAt(meterId: string, atMs: number): Promise<MeterCheck>;
  /** Whether the service point has a topology version overlapping [startMs, endMs). */
  servicePointDuring(servicePointId: string, startMs: number, endMs: number): Promise<boolean>;
}

interface Validity {
  readonly fromMs: number;
  readonly toMs: number;
}

/** The two lookups over one snapshot of rows. */
class TopologySnapshot {
  private readonly meters: TopologyIndex;
  private readonly servicePoints = new Map<string, Validity[]>();

  constructor(rows: readonly TopologyRow[]) {
    this.meters = buildTopologyIndex(rows);
    for (const row of rows) {
      const validity = {
        fromMs: parseIsoInstant(row.valid_from),
        toMs: row.valid_to === null ? Infinity : parseIsoInstant(row.valid_to),
      };
      const versions = this.servicePoints.get(row.service_point_id);
      if (versions === undefined) this.servicePoints.set(row.service_point_id, [validity]);
      else versions.push(validity);
    }
  }

  meterAt(meterId: string, atMs: number): MeterCheck {
    const check = checkKnownMeterAt(meterId, atMs, this.meters);
    return check.ok ? { known: true } : { known: false, why: check.detail };
  }

  servicePointDuring(id: string, startMs: number, endMs: number): boolean {
    return (this.servicePoints.get(id) ?? []).some((v) => v.fromMs < endMs && startMs < v.toMs);
  }
}

/** A topology held in memory. */
export function topologyOfRows(rows: readonly TopologyRow[]): TopologyLookup {
  const snapshot = new TopologySnapshot(rows);
  return {
    meterAt: (meterId, atMs) => Promise.resolve(snapshot.meterAt(meterId, atMs)),
    servicePointDuring: (id, startMs, endMs) =>
      Promise.resolve(snapshot.servicePointDuring(id, startMs, endMs)),
  };
}

export interface TopologyFileOptions {
  /** Look at the file's size and modification time at most this often (ms). */
  readonly checkEveryMs?: number;
  readonly now?: () => number;
}

/**
 * The topology of a JSONL file, re-read when the file changes. A file that cannot be read or parsed
 * keeps the last good snapshot in use (retried at the next check); without one the lookup throws.
 */
export class TopologyFile implements TopologyLookup {
  private good: TopologySnapshot | undefined;
  private stamp = '';
  private checkedAtMs = -Infinity;
  private refreshing: Promise<TopologySnapshot> | undefined;
  private readonly checkEveryMs: number;
  private readonly now: () => number;

  constructor(
    readonly path: string,
    opts: TopologyFileOptions = {},
  ) {
    this.checkEveryMs = opts.checkEveryMs ?? 5_000;
    this.now = opts.now ?? Date.now;
  }

  /** Reads the file now (throws naming the first bad line); main.ts calls it once at start. */
  async load(): Promise<void> {
    await this.refresh(true);
  }

  async meterAt(meterId: string, atMs: number): Promise<MeterCheck> {
    return (await this.current()).meterAt(meterId, atMs);
  }

  async servicePointDuring(id: string, startMs: number, endMs: number): Promise<boolean> {
    return (await this.current()).servicePointDuring(id, startMs, endMs);
  }

  /** The snapshot in use, refreshed first when the last look at the file is `checkEveryMs` old. */
  private current(): Promise<TopologySnapshot> {
    if (this.good !== undefined && this.now() - this.checkedAtMs < this.checkEveryMs)
      return Promise.resolve(this.good);
    this.refreshing ??= this.refresh(false).finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** Re-reads the file if its size or modification time changed (always with `force`). */
  private async refresh(force: boolean): Promise<TopologySnapshot> {
    this.checkedAtMs = this.now();
    try {
      const s = await stat(this.path);
      const stamp = `${s.size}:${s.mtimeMs}`;
      if (!force && this.good !== undefined && stamp === this.stamp) return this.good;
      this.good = new TopologySnapshot(await loadTopologyRows(this.path));
      this.stamp = stamp;
      return this.good;
    } catch (err) {
      if (!force && this.good !== undefined) return this.good;
      throw err;
    }
  }
}
