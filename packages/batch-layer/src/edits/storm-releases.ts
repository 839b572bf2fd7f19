/**
 * Operators' storm releases (SPEC 5 "Storm mode ... until an operator releases it"): append-only
 * records `<prefix>storm-releases/date=<local date>/<atMs:13>-<releaseId>.json` (If-None-Match: *,
 * never deleted), one per feeder or region and local day. `releasesForDay` gives the keys
 * `feeder:<id>` / `region:<id>` that src/vee/storm.ts decideStorm takes. A release marks its day
 * dirty so the next sweep rebuilds it with estimation.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import {
  validateStormReleaseRecord,
  type StormReleaseLevel,
  type StormReleaseRecord,
} from '@ami/shared/contracts';
import { formatIsoUtc, isValidLocalDate } from '@ami/shared/time';
import type { DirtyDays } from '../archiver/dirty-days.ts';
import { stormKey } from '../vee/storm.ts';
import { EditValidationError } from './edit-input.ts';
import { EditNotScheduledError } from './edit-store.ts';
import { ObjectLog } from './object-log.ts';

export interface StormReleaseInput {
  readonly level: StormReleaseLevel;
  readonly entityId: string;
  readonly date: string;
  readonly reason: string;
  readonly who: string;
}

export interface StormReleasesOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** AMI_EDITS_PREFIX. */
  readonly prefix: string;
  readonly dirtyDays: DirtyDays;
  readonly now?: () => number;
  readonly newId?: () => string;
}

export function stormReleasesRoot(prefix: string): string {
  return `${prefix}storm-releases/`;
}

export class StormReleases {
  private readonly log: ObjectLog<StormReleaseRecord>;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly opts: StormReleasesOptions) {
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    this.log = new ObjectLog({
      s3: opts.s3,
      bucket: opts.bucket,
      root: stormReleasesRoot(opts.prefix),
      parse: (v) => {
        const c = validateStormReleaseRecord(v);
        return c.ok ? c : { ok: false, message: c.detail };
      },
    });
  }

  /** Stores a release and marks its day dirty (errors as EditStore.append). */
  async release(input: StormReleaseInput): Promise<StormReleaseRecord> {
    const atMs = this.now();
    const candidate = {
      release_id: this.newId(),
      level: input.level,
      entity_id: input.entityId,
      date: input.date,
      reason: input.reason,
      who: input.who,
      at: formatIsoUtc(atMs),
    };
    const checked = validateStormReleaseRecord(candidate);
    if (!checked.ok) throw new EditValidationError('SCHEMA_VIOLATION', checked.path ?? '', checked.detail);
    const record = checked.value;
    if (!isValidLocalDate(record.date))
      throw new EditValidationError('SCHEMA_VIOLATION', '/date', 'not a calendar date');
    await this.log.append(record.date, atMs, record.release_id, record);
    try {
      await this.opts.dirtyDays.markDirty([record.date], atMs);
    } catch (err) {
      throw new EditNotScheduledError(record.release_id, record.date, err);
    }
    return record;
  }

  /** Every release record of a local day, in the order made. */
  async listForDay(date: string): Promise<StormReleaseRecord[]> {
    return this.log.listDate(date);
  }

  /** Keys `feeder:<id>` / `region:<id>` released for `date` (the input of decideStorm). */
  async releasesForDay(date: string): Promise<Set<string>> {
    return new Set((await this.listForDay(date)).map((r) => stormKey(r.level, r.entity_id)));
  }
}
