/**
 * `pnpm ami edits add|list`: manual edits of interval values (SPEC 5 "editing") from the command
 * line. `add` stores the edit append-only in the edit store (who = --who or `cli:<user>`) and
 * enqueues the rebuild of its day with cause `edit` — the same path as POST /v1/edits; `list`
 * prints a meter's edits over local days. Bad arguments: one line on stderr, exit 2.
 */
import { userInfo } from 'node:os';
import { parseArgs } from 'node:util';
import { createRedis, createS3 } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { isValidLocalDate, localDate, localDaysBetween, parseIsoInstant } from '@ami/shared/time';
import { loadArchiverSettings, loadBatchJobSettings, loadEditSettings } from '@ami/batch-layer';
import {
  BatchJobs,
  DirtyDays,
  EditStore,
  EditValidationError,
  MAX_LIST_DAYS,
  scheduleEditRebuild,
} from '@ami/batch-layer/commands';

export const EDITS_HELP = `usage: pnpm ami edits add --meter ID --interval-start ISO --wh N --reason TEXT [--original-wh N] [--who NAME]
       pnpm ami edits list --meter ID --from YYYY-MM-DD --to YYYY-MM-DD

add   records a manual edit of one 15-minute interval (net energy in integer Wh; the instant needs
      an offset, e.g. 2026-11-20T10:15:00+01:00), append-only with who/when/reason, and enqueues the
      rebuild of its local day (cause edit). Prints the stored edit and the rebuild as JSON.
list  prints a meter's edits over local days (at most ${MAX_LIST_DAYS} days), one JSON line each.`;

class UsageError extends Error {}

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        meter: { type: 'string' },
        'interval-start': { type: 'string' },
        wh: { type: 'string' },
        'original-wh': { type: 'string' },
        reason: { type: 'string' },
        who: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(`${err instanceof Error ? err.message : String(err)} (see pnpm ami edits --help)`);
  }
}

function required(v: string | undefined, flag: string): string {
  if (v === undefined || v.trim() === '')
    throw new UsageError(`--${flag} is required (see pnpm ami edits --help)`);
  return v;
}

function integerWh(v: string, flag: string): number {
  if (!/^-?\d+$/.test(v)) throw new UsageError(`--${flag} must be an integer number of Wh, got "${v}"`);
  return Number(v);
}

function openStore() {
  const config = loadConfig();
  const s3 = createS3(config);
  const redis = createRedis(config, { connectionName: 'ami-cli-edits' });
  const store = new EditStore({
    s3,
    bucket: config.connection.s3Bucket,
    prefix: loadEditSettings().s3Prefix,
    timeZone: config.connection.timeZone,
    dirtyDays: new DirtyDays(redis, loadArchiverSettings().dirtyKeyPrefix),
  });
  return {
    config,
    store,
    close: () => {
      redis.disconnect();
      s3.destroy();
    },
  };
}

export async function runEdits(argv: string[]): Promise<number> {
  try {
    return await run(argv);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ami edits: ${err.message}\n`);
      return 2;
    }
    if (err instanceof EditValidationError) {
      process.stderr.write(`ami edits: invalid edit (${err.code} at ${err.field || '/'}): ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values: v, positionals } = parse(argv);
  if (v.help) {
    process.stdout.write(`${EDITS_HELP}\n`);
    return 0;
  }
  const [sub, ...extra] = positionals;
  if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
  if (sub === 'add') {
    const meter = required(v.meter, 'meter');
    const intervalStart = required(v['interval-start'], 'interval-start');
    if (!Number.isFinite(parseIsoInstant(intervalStart)))
      throw new UsageError(
        `--interval-start must be an ISO-8601 instant with offset, got "${intervalStart}"`,
      );
    const wh = integerWh(required(v.wh, 'wh'), 'wh');
    const reason = required(v.reason, 'reason');
    const original = v['original-wh'] === undefined ? undefined : integerWh(v['original-wh'], 'original-wh');
    const who = v.who ?? `cli:${userInfo().username}`;
    const { config, store, close } = openStore();
    const connection = createRedis(config, { forBullMQ: true, connectionName: 'ami-cli-edits-jobs' });
    const jobs = new BatchJobs({
      connection,
      settings: loadBatchJobSettings(),
      timeZone: config.connection.timeZone,
    });
    try {
      const edit = await store.append({
        meter_id: meter,
        interval_start: intervalStart,
        wh,
        reason,
        who,
        ...(original === undefined ? {} : { original_wh: original }),
      });
      const date = localDate(parseIsoInstant(edit.interval_start), config.connection.timeZone);
      const { outcome, error } = await scheduleEditRebuild(jobs, date, edit.edit_id);
      process.stdout.write(`${JSON.stringify({ edit, rebuild: outcome })}\n`);
      if (error !== undefined)
        process.stderr.write(
          `ami edits: stored, but the rebuild of ${date} could not be enqueued (${error instanceof Error ? error.message : JSON.stringify(error)}); the late-data sweep will rebuild it\n`,
        );
      return 0;
    } finally {
      await jobs.close();
      connection.disconnect();
      close();
    }
  }
  if (sub === 'list') {
    const meter = required(v.meter, 'meter');
    const from = required(v.from, 'from');
    const to = required(v.to, 'to');
    for (const [flag, d] of [
      ['from', from],
      ['to', to],
    ] as const)
      if (!isValidLocalDate(d)) throw new UsageError(`--${flag} ${d} is not a calendar date YYYY-MM-DD`);
    const span = localDaysBetween(from, to);
    if (span < 0) throw new UsageError(`--from ${from} is after --to ${to}`);
    if (span + 1 > MAX_LIST_DAYS) throw new UsageError(`at most ${MAX_LIST_DAYS} days per listing`);
    const { store, close } = openStore();
    try {
      const edits = await store.listForMeter(meter, from, to);
      for (const e of edits) process.stdout.write(`${JSON.stringify(e)}\n`);
      process.stderr.write(`${edits.length} edit(s) of ${meter} from ${from} to ${to}\n`);
      return 0;
    } finally {
      close();
    }
  }
  throw new UsageError(
    sub === undefined
      ? 'add or list is required (see pnpm ami edits --help)'
      : `unknown subcommand "${sub}" (add, list)`,
  );
}
