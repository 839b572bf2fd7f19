/**
 * "No partial publication", checked on the catalog itself:
 *  - `CatalogWatcher` reads HEAD every few hundred ms during the run; each new version it sees must
 *    name a readable snapshot whose every file is already in S3 (size as recorded) — a commit that
 *    swapped HEAD before its uploads finished would show here;
 *  - `checkCatalogChain` walks every snapshot ever committed (HEAD → parent → …) and checks each
 *    one holds only complete days: a day is in every daily view or in none, its month is in every
 *    monthly view, and intervals_validated has one row per meter and interval (a whole number of
 *    days of intervals, at least one per meter of meter_daily).
 */
import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  DAILY_VIEWS,
  MONTHLY_VIEWS,
  datePartition,
  monthPartition,
  parsePartition,
  readHead,
  readSnapshot,
  s3Status,
  type CatalogSnapshot,
} from '@ami/shared/catalog';
import { intervalsInLocalDay } from '@ami/shared/time';

export interface CatalogLocation {
  readonly s3: S3Client;
  readonly bucket: string;
  readonly prefix: string;
}

/** Problems of one snapshot's content (empty when every day in it is complete). */
export function snapshotProblems(s: CatalogSnapshot, timeZone: string): string[] {
  const problems: string[] = [];
  const dates = new Set<string>();
  for (const view of DAILY_VIEWS)
    for (const id of Object.keys(s.views[view]?.partitions ?? {})) dates.add(parsePartition(id).value);
  for (const date of [...dates].sort()) {
    for (const view of DAILY_VIEWS)
      if (s.views[view]?.partitions[datePartition(date)] === undefined)
        problems.push(`v${s.seq}: ${date} is published without ${view}`);
    for (const view of MONTHLY_VIEWS)
      if (s.views[view]?.partitions[monthPartition(date.slice(0, 7))] === undefined)
        problems.push(`v${s.seq}: ${date} is published without ${view} of its month`);
    // One row per meter and interval: every meter of meter_daily, plus unknown meters that sent reads.
    const meters = s.views.meter_daily?.partitions[datePartition(date)]?.rows;
    const intervals = s.views.intervals_validated?.partitions[datePartition(date)]?.rows;
    const slots = intervalsInLocalDay(date, timeZone);
    if (
      meters !== undefined &&
      intervals !== undefined &&
      (intervals % slots !== 0 || intervals < meters * slots)
    )
      problems.push(
        `v${s.seq}: ${date} has ${intervals} validated intervals for ${meters} meters of ${slots} intervals`,
      );
  }
  return problems;
}

/** Files of the snapshot that are missing in S3 or of another size. */
export async function missingFiles(loc: CatalogLocation, s: CatalogSnapshot): Promise<string[]> {
  const out: string[] = [];
  for (const [view, entry] of Object.entries(s.views))
    for (const [partition, p] of Object.entries(entry.partitions))
      for (const f of p.files) {
        try {
          const h = await loc.s3.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: f.key }));
          if (h.ContentLength !== f.bytes)
            out.push(
              `v${s.seq} ${view}/${partition}: ${f.key} has ${h.ContentLength} bytes, catalog says ${f.bytes}`,
            );
        } catch (err) {
          // Only "not there" is a finding; S3 being down (no HTTP answer, 5xx) is not.
          if (s3Status(err) !== 404) throw err;
          out.push(`v${s.seq} ${view}/${partition}: ${f.key} is missing`);
        }
      }
  return out;
}

/** Every committed snapshot, newest first (empty before the first publish). */
export async function catalogChain(loc: CatalogLocation): Promise<CatalogSnapshot[]> {
  const head = await readHead(loc.s3, loc.bucket, loc.prefix);
  if (head.status !== 'found') return [];
  const chain: CatalogSnapshot[] = [];
  let key: string | null = head.head.snapshot;
  while (key !== null) {
    const s: CatalogSnapshot = await readSnapshot(loc.s3, loc.bucket, key);
    chain.push(s);
    key = s.parent?.key ?? null;
  }
  return chain;
}

/** Problems of every snapshot of the chain (content, and files still in S3). */
export async function checkCatalogChain(
  loc: CatalogLocation,
  timeZone: string,
): Promise<{ versions: number; problems: string[]; latest: CatalogSnapshot | undefined }> {
  const chain = await catalogChain(loc);
  const problems: string[] = [];
  for (const s of chain) problems.push(...snapshotProblems(s, timeZone));
  if (chain[0] !== undefined) problems.push(...(await missingFiles(loc, chain[0])));
  return { versions: chain.length, problems, latest: chain[0] };
}

/** Polls HEAD; checks the files of each new version as soon as it is seen. */
export class CatalogWatcher {
  readonly problems: string[] = [];
  /** Versions seen, and polls that failed (S3 down). */
  seen = 0;
  failedPolls = 0;
  private lastSeq = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(
    private readonly loc: CatalogLocation,
    private readonly timeZone: string,
    private readonly everyMs = 300,
  ) {}

  start(): void {
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          await this.poll();
        } catch {
          this.failedPolls++;
        }
        await new Promise((r) => setTimeout(r, this.everyMs));
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async poll(): Promise<void> {
    const head = await readHead(this.loc.s3, this.loc.bucket, this.loc.prefix);
    if (head.status !== 'found' || head.head.seq === this.lastSeq) return;
    const s = await readSnapshot(this.loc.s3, this.loc.bucket, head.head.snapshot);
    const missing = await missingFiles(this.loc, s);
    this.lastSeq = head.head.seq;
    this.seen++;
    this.problems.push(...snapshotProblems(s, this.timeZone), ...missing);
  }
}
