/**
 * The batch operator commands against real MinIO and Redis: `rollback` commits a catalog version
 * whose view partition points back at the earlier files; `backfill --no-wait` enqueues one BullMQ
 * parent with a child per local day (the DST day included) whose progress the client reads;
 * bad arguments exit 2 with one line and change nothing.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, createS3, openDuckDB, type DuckDBInstance } from '@ami/shared/clients';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { CatalogPublisher } from '@ami/batch-layer/catalog';
import { BatchJobs } from '@ami/batch-layer/commands';
import { dayInputs } from '@ami/batch-layer/testing';
import { deletePrefix } from '../../../test/support/s3.ts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { runBatchCommand } from '../src/batch.ts';

describe('batch operator commands', () => {
  const id = uniqueName('cli-batch');
  const env = {
    AMI_CATALOG_PREFIX: `it/${id}/`,
    AMI_BATCH_QUEUE: `${id}-q`,
    AMI_BATCH_KEY_PREFIX: `${id}-bull`,
    AMI_TIMEZONE: 'Europe/Stockholm',
  };
  const saved = { ...process.env };
  const config = integrationConfig(env);
  const s3 = createS3(config);
  const work = mkdtempSync(join(tmpdir(), 'ami-cli-batch-'));
  let db: DuckDBInstance;

  beforeAll(async () => {
    Object.assign(process.env, inject('infraEnv'), env);
    db = await openDuckDB({ threads: 1 });
  });
  afterAll(async () => {
    process.env = saved;
    db.closeSync();
    await deletePrefix(s3, config.connection.s3Bucket, env.AMI_CATALOG_PREFIX);
    s3.destroy();
    rmSync(work, { recursive: true, force: true });
  });

  it('rollback points a view back to the files of an earlier version', async () => {
    const publisher = new CatalogPublisher({
      s3,
      bucket: config.connection.s3Bucket,
      prefix: env.AMI_CATALOG_PREFIX,
      timeZone: env.AMI_TIMEZONE,
      retentionMs: 86_400_000,
    });
    const v1 = await publisher.publish(await dayInputs(db, work, '2026-03-02', 1), { cause: 'backfill' });
    await publisher.publish(await dayInputs(db, work, '2026-03-02', 2), { cause: 'late_data' });
    const filesOf = async () =>
      (await publisher.current()).snapshot!.views.meter_daily!.partitions['date=2026-03-02']!.files.map(
        (f) => f.key,
      );
    const before = await filesOf();

    expect(await runBatchCommand('rollback', ['--view', 'meter_daily', '--version', v1.version!])).toBe(0);
    const after = (await publisher.current()).snapshot!;
    const entry = after.views.meter_daily!.partitions['date=2026-03-02']!;
    expect(entry.restoredFrom).toBe(v1.version);
    expect(entry.files.map((f) => f.key)).not.toEqual(before);
    // only the named view moved: the others keep the second publication
    expect(after.views.grid_15m!.partitions['date=2026-03-02']!.restoredFrom).toBeUndefined();
    expect(after.views.grid_15m!.partitions['date=2026-03-02']!.version).not.toBe(v1.version);
  });

  it('backfill --no-wait enqueues one child per local day and its progress is readable', async () => {
    const out: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string) => (out.push(String(chunk)), true);
    let code: number;
    try {
      code = await runBatchCommand('backfill', ['--from', '2026-03-28', '--to', '2026-03-30', '--no-wait']);
    } finally {
      process.stdout.write = write;
    }
    expect(code).toBe(0);
    const jobId = out.join('').trim();
    const connection = createRedis(config, { forBullMQ: true });
    const jobs = new BatchJobs({
      connection,
      settings: loadBatchJobSettings(env),
      timeZone: env.AMI_TIMEZONE,
    });
    try {
      const p = await jobs.getProgress(jobId);
      expect(p).toMatchObject({ name: 'backfill', children: { done: 0, failed: 0, total: 3 } });
      await jobs.queue.obliterate({ force: true });
    } finally {
      await jobs.close();
      connection.disconnect();
    }
  });

  it('bad arguments exit 2 with one line', async () => {
    for (const [name, argv] of [
      ['backfill', ['--from', '2026-03-05', '--to', '2026-03-01']],
      ['backfill', ['--from', '2026-02-30', '--to', '2026-03-01']],
      ['rebuild', []],
      ['rollback', ['--view', 'meter_daily', '--version', 'latest']],
      ['reconcile', ['--date', 'yesterday']],
      ['rebuild', ['--date', '2026-03-01', '--bogus']],
    ] as const) {
      const lines: string[] = [];
      const write = process.stderr.write.bind(process.stderr);
      process.stderr.write = (chunk: string) => (lines.push(String(chunk)), true);
      let code: number;
      try {
        code = await runBatchCommand(name, [...argv]);
      } finally {
        process.stderr.write = write;
      }
      expect({ name, argv, code }).toEqual({ name, argv, code: 2 });
      expect(lines.join('').trim().split('\n')).toHaveLength(1);
    }
  });
});
