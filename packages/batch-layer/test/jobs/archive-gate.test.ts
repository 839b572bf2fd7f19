/**
 * The archive gate against fake Kafka offsets and a fake clock: caught up (empty partitions
 * included) → no wait; lagging → flush requests until the committed offsets reach the log ends
 * captured at the start (later messages do not extend the wait); one passed check covers the builds
 * requested before it; never caught up → ArchiveNotCaughtUpError naming the partitions, at once-ish
 * when no archiver is running; wait 0 → no check. Also the backfill's read totals.
 */
import { describe, expect, it } from 'vitest';
import {
  ArchiveGate,
  ArchiveNotCaughtUpError,
  backfillReads,
  type ArchiveGateDeps,
  type ArchiverOffsets,
} from '../../src/jobs/index.ts';

interface PartitionState {
  low: number;
  high: number;
  /** -1: never committed. */
  committed: number;
}
type State = Record<string, Record<number, PartitionState>>;

function fakeOffsets(state: State, members: () => number = () => 1): ArchiverOffsets {
  const parts = (topic: string) =>
    Object.entries(state[topic] ?? {}).map(([p, o]) => [Number(p), o] as const);
  return {
    logOffsets: (topic) =>
      Promise.resolve(
        parts(topic).map(([partition, o]) => ({ partition, low: BigInt(o.low), high: BigInt(o.high) })),
      ),
    // like Kafka: asking for the committed offsets of a topic that does not exist fails
    committed: (topic) =>
      topic in state
        ? Promise.resolve(new Map(parts(topic).map(([p, o]) => [p, BigInt(o.committed)])))
        : Promise.reject(new Error(`Unknown topic ${topic}`)),
    members: () => Promise.resolve(members()),
  };
}

/** A gate on a fake clock that `sleep` advances; records the flush requests. */
function gate(state: State, opts: Partial<ArchiveGateDeps> & { onFlush?: () => void } = {}) {
  let clock = 1_000_000;
  const requests: string[] = [];
  const g = new ArchiveGate({
    offsets: fakeOffsets(state),
    groupId: 'ami-archiver',
    topics: Object.keys(state),
    requestFlush: (_at, token) => {
      requests.push(token);
      opts.onFlush?.();
      return Promise.resolve();
    },
    waitS: 120,
    pollMs: 500,
    now: () => clock,
    sleep: (ms) => {
      clock += ms;
      return Promise.resolve();
    },
    ...opts,
  });
  return { g, requests, now: () => clock };
}

describe('ArchiveGate', () => {
  it('does not wait when everything produced is committed; empty and expired partitions and missing topics never block', async () => {
    const { g, requests } = gate(
      {
        r: {
          0: { low: 0, high: 5, committed: 5 },
          1: { low: 0, high: 0, committed: -1 },
          2: { low: 9, high: 9, committed: -1 },
        },
      },
      { topics: ['r', 'no-such-topic'] },
    );
    expect(await g.ensureArchived('2026-03-10', 0)).toEqual({
      waitedMs: 0,
      flushRequested: false,
      pendingMessages: 0,
    });
    expect(requests).toEqual([]);
  });

  it('requests a flush and waits for the log ends captured at the start only', async () => {
    const state: State = {
      r: { 0: { low: 0, high: 10, committed: 4 } },
      e: { 0: { low: 2, high: 5, committed: -1 } },
    };
    let flushes = 0;
    const { g, requests } = gate(state, {
      onFlush: () => {
        flushes++;
        // the first flush archives what the archiver had consumed; the second the rest; meanwhile
        // more is produced, which the gate does not wait for
        state.r![0] = { low: 0, high: 50, committed: flushes === 1 ? 8 : 10 };
        state.e![0] = { low: 2, high: 5, committed: 5 };
      },
    });
    const check = await g.ensureArchived('2026-03-10', 0);
    expect(check).toEqual({ waitedMs: 2500, flushRequested: true, pendingMessages: 6 + 3 });
    expect(requests).toEqual(['2026-03-10.0', '2026-03-10.1']);
  });

  it('one passed check covers every build requested before it started', async () => {
    const state: State = { r: { 0: { low: 0, high: 10, committed: 4 } } };
    const { g, requests, now } = gate(state, {
      onFlush: () => void (state.r![0]!.committed = state.r![0]!.high),
    });
    const requestedAt = now();
    expect((await g.ensureArchived('2026-03-01', requestedAt))?.flushRequested).toBe(true);
    state.r![0] = { low: 0, high: 20, committed: 10 };
    // another day of the same backfill: covered, no second flush
    expect(await g.ensureArchived('2026-03-02', requestedAt)).toMatchObject({ flushRequested: false });
    expect(requests).toHaveLength(1);
    // a build requested after that check: checked again
    expect((await g.ensureArchived('2026-03-03', now() + 1))?.flushRequested).toBe(true);
    expect(requests).toHaveLength(2);
  });

  it('fails after the wait naming the lagging partitions and the archiver group', async () => {
    const { g, requests } = gate(
      { reads: { 2: { low: 0, high: 7, committed: -1 }, 0: { low: 0, high: 1, committed: 1 } } },
      { waitS: 10 },
    );
    const err = await g.ensureArchived('2026-03-10', 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArchiveNotCaughtUpError);
    const msg = (err as Error).message;
    expect(msg).toContain('not building 2026-03-10');
    expect(msg).toContain('consumer group ami-archiver, 1 member(s)');
    expect(msg).toContain('after 10 s (AMI_BATCH_ARCHIVE_WAIT_S)');
    expect(msg).toContain('reads[2] committed nothing of 7');
    expect(msg).not.toContain('reads[0]');
    expect(msg).toContain('AMI_ARCHIVER_FROM_BEGINNING');
    expect(requests).toHaveLength(5); // every 2 s for 10 s
  });

  it('says no archiver is running, and gives up after the grace period, when the group has no member', async () => {
    const state: State = { reads: { 0: { low: 0, high: 7, committed: 3 } } };
    let clock = 0;
    const g = new ArchiveGate({
      offsets: fakeOffsets(state, () => 0),
      groupId: 'ami-archiver',
      topics: ['reads'],
      requestFlush: () => Promise.resolve(),
      waitS: 120,
      noArchiverGraceMs: 15_000,
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        return Promise.resolve();
      },
    });
    const err = (await g.ensureArchived('2026-03-10', 0).catch((e: unknown) => e)) as ArchiveNotCaughtUpError;
    expect(err).toBeInstanceOf(ArchiveNotCaughtUpError);
    expect(err.members).toBe(0);
    expect(clock).toBeLessThan(20_000);
    expect(err.message).toContain('no archiver is running (its consumer group ami-archiver has no members)');
    expect(err.message).toContain('reads[0] committed 3 of 7');
    expect(err.message).not.toContain('AMI_ARCHIVER_FROM_BEGINNING');
  });

  it('names the build when Kafka cannot be read', async () => {
    const g = new ArchiveGate({
      offsets: {
        logOffsets: () => Promise.reject(new Error('broker down')),
        committed: () => Promise.resolve(new Map()),
        members: () => Promise.resolve(1),
      },
      groupId: 'g',
      topics: ['r'],
      requestFlush: () => Promise.resolve(),
      waitS: 5,
    });
    await expect(g.ensureArchived('2026-03-10', 0)).rejects.toThrow(
      "not building 2026-03-10: could not read the archiver's offsets from Kafka (broker down)",
    );
  });

  it('does not check with a wait of 0', async () => {
    const { g, requests } = gate({ r: { 0: { low: 0, high: 9, committed: -1 } } }, { waitS: 0 });
    expect(await g.ensureArchived('2026-03-10', 0)).toBeNull();
    expect(requests).toEqual([]);
  });
});

describe('backfillReads', () => {
  it('sums the children reads and lists the days without any', () => {
    expect(
      backfillReads({
        a: { date: '2026-03-02', reads: 0 },
        b: { date: '2026-03-01', reads: 96 },
        c: { date: '2026-03-03', reads: 0 },
        d: 'not a summary',
        e: { date: '2026-03-04' },
      }),
    ).toEqual({ reads: 96, daysWithoutReads: ['2026-03-02', '2026-03-03'] });
  });
});
