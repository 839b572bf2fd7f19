/**
 * `pnpm ami edits` against real MinIO and Redis: `add` stores the edit append-only (who/reason/
 * original kept), marks its day dirty and enqueues the day's rebuild with cause `edit` in BullMQ;
 * `list` returns it; bad arguments and invalid edits exit 2 with one line and store nothing.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createRedis, createS3 } from '@ami/shared/clients';
import { loadBatchJobSettings } from '@ami/batch-layer';
import { BatchJobs, DirtyDays } from '@ami/batch-layer/commands';
import { deletePrefix } from '../../../test/support/s3.ts';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { runEdits } from '../src/edits.ts';

async function capture(fn: () => Promise<number>): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const o = process.stdout.write.bind(process.stdout);
  const e = process.stderr.write.bind(process.stderr);
  process.stdout.write = (chunk: string) => (out.push(String(chunk)), true);
  process.stderr.write = (chunk: string) => (err.push(String(chunk)), true);
  try {
    const code = await fn();
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.stdout.write = o;
    process.stderr.write = e;
  }
}

describe('ami edits', () => {
  const id = uniqueName('cli-edits');
  const env = {
    AMI_EDITS_PREFIX: `it/${id}/`,
    AMI_ARCHIVER_DIRTY_KEY_PREFIX: id,
    AMI_BATCH_QUEUE: `${id}-q`,
    AMI_BATCH_KEY_PREFIX: `${id}-bull`,
    AMI_TIMEZONE: 'Europe/Stockholm',
  };
  const saved = { ...process.env };
  const config = integrationConfig(env);
  const s3 = createS3(config);
  const redis = createRedis(config);
  const connection = createRedis(config, { forBullMQ: true });
  let jobs: BatchJobs;

  beforeAll(() => {
    Object.assign(process.env, inject('infraEnv'), env);
    jobs = new BatchJobs({ connection, settings: loadBatchJobSettings(env), timeZone: env.AMI_TIMEZONE });
  });
  afterAll(async () => {
    process.env = saved;
    await jobs.queue.obliterate({ force: true }).catch(() => undefined);
    await jobs.close();
    connection.disconnect();
    redis.disconnect();
    await deletePrefix(s3, config.connection.s3Bucket, env.AMI_EDITS_PREFIX);
    s3.destroy();
  });

  it('add stores the edit, marks the day dirty and enqueues its rebuild with cause edit; list shows it', async () => {
    const add = await capture(() =>
      runEdits([
        'add',
        '--meter',
        'MTR-000042',
        '--interval-start',
        '2026-03-02T10:15:00+01:00',
        '--wh',
        '350',
        '--original-wh',
        '9000',
        '--reason',
        'spike confirmed by field visit',
        '--who',
        'jane.editor',
      ]),
    );
    expect(add.err).toBe('');
    expect(add.code).toBe(0);
    const body = JSON.parse(add.out) as {
      edit: { edit_id: string; interval_start: string; wh: number; who: string; original_wh: number | null };
      rebuild: { date: string; job_id: string | null; status: string };
    };
    expect(body.edit).toMatchObject({
      interval_start: '2026-03-02T09:15:00Z',
      wh: 350,
      who: 'jane.editor',
      original_wh: 9000,
    });
    expect(body.rebuild).toMatchObject({ date: '2026-03-02', status: 'enqueued' });
    const job = await jobs.getProgress(body.rebuild.job_id!);
    expect(job?.data).toMatchObject({ date: '2026-03-02', cause: 'edit' });
    const dirty = await new DirtyDays(redis, id).listDirty();
    expect(dirty.map((d) => d.date)).toContain('2026-03-02');

    const list = await capture(() =>
      runEdits(['list', '--meter', 'MTR-000042', '--from', '2026-03-01', '--to', '2026-03-03']),
    );
    expect(list.code).toBe(0);
    const lines = list.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { edit_id: string; reason: string });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ edit_id: body.edit.edit_id, reason: 'spike confirmed by field visit' });
  });

  it.each([
    [
      [
        'add',
        '--meter',
        'MTR-1',
        '--interval-start',
        '2026-03-02T10:15:00+01:00',
        '--wh',
        '1.5',
        '--reason',
        'x',
      ],
      /--wh must be an integer/,
    ],
    [
      ['add', '--meter', 'MTR-1', '--interval-start', '2026-03-02T10:15:00+01:00', '--wh', '5'],
      /--reason is required/,
    ],
    [
      [
        'add',
        '--meter',
        'MTR-1',
        '--interval-start',
        '2026-03-02T10:10:00+01:00',
        '--wh',
        '5',
        '--reason',
        'x',
      ],
      /MISALIGNED_INTERVAL/,
    ],
    [['add', '--meter', 'MTR-1', '--interval-start', 'yesterday', '--wh', '5', '--reason', 'x'], /ISO-8601/],
    [['list', '--meter', 'MTR-1', '--from', '2026-03-05', '--to', '2026-03-01'], /is after/],
    [['remove'], /unknown subcommand "remove"/],
    [['add', '--bogus'], /Unknown option '--bogus'/],
  ])('%j exits 2 with one line', async (argv, message) => {
    const r = await capture(() => runEdits(argv));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    expect(r.out).toBe('');
  });

  it('stored nothing for the rejected edits', async () => {
    const list = await capture(() =>
      runEdits(['list', '--meter', 'MTR-1', '--from', '2026-03-01', '--to', '2026-03-03']),
    );
    expect(list.code).toBe(0);
    expect(list.out).toBe('');
  });
});
