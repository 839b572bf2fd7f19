/**
 * The append-only, audited store of manual edits (SPEC 5 "editing", SPEC 6 `/v1/edits`).
 *
 * One S3 object per edit: `<prefix>edits/date=<local date of interval_start>/<atMs:13>-<editId>.json`
 * written with `If-None-Match: *` (never overwritten) and never deleted; a correction of an edit is
 * a new edit (VEE applies the latest per slot, see src/vee/edits.ts). After the object is written,
 * the edit's local day is marked dirty (DirtyDays) so the late-data sweep rebuilds it (cause
 * 'late_data': a mark does not record why it was set). The API that takes an edit also enqueues a
 * rebuild of the day with cause 'edit' right away (BatchJobs.enqueueRebuild); the mark is the
 * fallback if that enqueue is lost. The mark comes after the write on purpose: a sweep that ran between the two would rebuild
 * without the edit and clear a mark set before it. If marking fails the edit is stored and
 * EditNotScheduledError says so (retry `markDay`); it is never lost.
 */
import { randomUUID } from 'node:crypto';
import type { S3Client } from '@aws-sdk/client-s3';
import { validateEditRecord, type EditRecord } from '@ami/shared/contracts';
import {
  isValidLocalDate,
  localDate,
  localDatesBetween,
  localDaysBetween,
  parseIsoInstant,
} from '@ami/shared/time';
import type { DirtyDays } from '../archiver/dirty-days.ts';
import type { ManualEdit } from '../vee/model.ts';
import { buildEditRecord, EditValidationError, type EditInput } from './edit-input.ts';
import { ObjectLog } from './object-log.ts';

/** Longest date range `listForMeter` scans (one LIST per day). */
export const MAX_LIST_DAYS = 400;

/** A record was stored but its day could not be marked dirty: call `markDay(date)` again. */
export class EditNotScheduledError extends Error {
  constructor(
    /** edit_id / release_id of the stored record. */
    readonly recordId: string,
    readonly date: string,
    cause: unknown,
  ) {
    super(`record ${recordId} stored, but day ${date} could not be marked for rebuild`, { cause });
    this.name = 'EditNotScheduledError';
  }
}

export interface EditStoreOptions {
  readonly s3: S3Client;
  readonly bucket: string;
  /** AMI_EDITS_PREFIX ('' or ending in '/'). */
  readonly prefix: string;
  /** AMI_TIMEZONE: the local day of an edit. */
  readonly timeZone: string;
  /** Dirty-day marks of the late-data sweep (the archiver's). */
  readonly dirtyDays: DirtyDays;
  readonly now?: () => number;
  readonly newId?: () => string;
}

export interface AppendOptions {
  /** Replaying an audited edit (import): its id and time instead of new ones. */
  readonly editId?: string;
  readonly atMs?: number;
}

export function editsRoot(prefix: string): string {
  return `${prefix}edits/`;
}

export class EditStore {
  private readonly log: ObjectLog<EditRecord>;
  private readonly now: () => number;
  private readonly newId: () => string;

  constructor(private readonly opts: EditStoreOptions) {
    this.now = opts.now ?? Date.now;
    this.newId = opts.newId ?? randomUUID;
    this.log = new ObjectLog({
      s3: opts.s3,
      bucket: opts.bucket,
      root: editsRoot(opts.prefix),
      parse: (v) => {
        const c = validateEditRecord(v);
        return c.ok ? c : { ok: false, message: c.detail };
      },
    });
  }

  /**
   * Validates and stores one edit, then marks its day dirty. Throws EditValidationError for a bad
   * request, AppendConflictError when the (time, id) key exists already, EditNotScheduledError when
   * stored but not marked.
   */
  async append(input: EditInput, options: AppendOptions = {}): Promise<EditRecord> {
    const atMs = options.atMs ?? this.now();
    const record = buildEditRecord(input, { editId: options.editId ?? this.newId(), atMs });
    const date = localDate(parseIsoInstant(record.interval_start), this.opts.timeZone);
    await this.log.append(date, atMs, record.edit_id, record);
    try {
      await this.opts.dirtyDays.markDirty([date], atMs);
    } catch (err) {
      throw new EditNotScheduledError(record.edit_id, date, err);
    }
    return record;
  }

  /** Marks a day dirty again (after EditNotScheduledError). */
  async markDay(date: string): Promise<void> {
    await this.opts.dirtyDays.markDirty([date], this.now());
  }

  /** Every edit of intervals in local day `date`, in the order made (at, then edit_id). */
  async listForDay(date: string): Promise<EditRecord[]> {
    return this.log.listDate(date);
  }

  /** Edits of one meter over local days fromDate…toDate (inclusive), in day then time order. */
  async listForMeter(meterId: string, fromDate: string, toDate: string): Promise<EditRecord[]> {
    if (!isValidLocalDate(fromDate) || !isValidLocalDate(toDate))
      throw new EditValidationError('SCHEMA_VIOLATION', '/from', 'dates must be YYYY-MM-DD');
    const span = localDaysBetween(fromDate, toDate) + 1;
    if (span > MAX_LIST_DAYS)
      throw new EditValidationError('SCHEMA_VIOLATION', '/to', `at most ${MAX_LIST_DAYS} days per listing`);
    const out: EditRecord[] = [];
    for (const date of localDatesBetween(fromDate, toDate))
      for (const r of await this.log.listDate(date)) if (r.meter_id === meterId) out.push(r);
    return out;
  }
}

/** The VEE form of a stored edit. */
export function toManualEdit(record: EditRecord): ManualEdit {
  return {
    editId: record.edit_id,
    meterId: record.meter_id,
    intervalStartMs: parseIsoInstant(record.interval_start),
    wh: record.wh,
    who: record.who,
    atMs: parseIsoInstant(record.at),
    reason: record.reason,
  };
}
