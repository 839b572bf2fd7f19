/**
 * What the soak run samples: a process's resident memory from procfs, a gauge from a process's
 * Prometheus /metrics (e.g. `ami_nodejs_heap_size_used_bytes`), and a consumer group's lag.
 * The parsers are pure; the readers return null when the process or endpoint does not answer.
 */
import { readFileSync } from 'node:fs';
import { behindTarget, endOffsets } from '@ami/cli/platform';
import { committedOffsets, topicOffsets, type KafkaAdmin as Admin } from '@ami/shared/clients';

/** VmRSS of a /proc/<pid>/status text, in MB (null when absent, e.g. a zombie). */
export function parseVmRssMb(status: string): number | null {
  const m = /^VmRSS:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) / 1024 : null;
}

export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    return parseVmRssMb(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return null;
  }
}

/** Value of the first sample of metric `name` (any labels) in Prometheus text; null when absent. */
export function parseGauge(text: string, name: string): number | null {
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const m = /^(\{[^}]*\})?\s+(\S+)/.exec(line.slice(name.length));
    const value = Number(m?.[2]);
    if (m && Number.isFinite(value)) return value;
  }
  return null;
}

export async function scrapeGauge(url: string, name: string): Promise<number | null> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    if (!res.ok) {
      await res.body?.cancel();
      return null;
    }
    return parseGauge(await res.text(), name);
  } catch {
    return null;
  }
}

/** Messages of `topics` a group has not committed yet (against the log end now). */
export async function groupLag(admin: Admin, groupId: string, topics: readonly string[]): Promise<number> {
  return Number(await behindTarget(admin, groupId, await endOffsets(admin, topics)));
}

/** Sum of the log-end offsets of `topic`. */
export async function topicEnd(admin: Admin, topic: string): Promise<number> {
  return (await topicOffsets(admin, topic)).reduce((s, p) => s + Number(p.high), 0);
}

/** Sum of a group's committed offsets on `topic` (partitions without a commit count 0). */
export async function committed(admin: Admin, groupId: string, topic: string): Promise<number> {
  const offsets = await committedOffsets(admin, groupId, topic);
  return [...offsets.values()].reduce((s, o) => s + Math.max(0, Number(o)), 0);
}
