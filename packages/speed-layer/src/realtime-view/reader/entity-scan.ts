/**
 * Grid entities that have realtime-view keys on a local date, found by a bounded key SCAN — the
 * fallback of readers that have no roster (no published batch day yet). SCAN is per node: the
 * single Redis, or every master of a cluster; the call budget applies per partition and node.
 */
import { scanTargets } from '@ami/shared/clients';
import { GRID_LEVEL_CODES, partitionTag, type GridLevel } from '../keys.ts';
import type { RealtimeViewOptions } from './options.ts';

export interface EntityScanLimits {
  /** SCAN calls per partition and node. */
  readonly maxCalls: number;
  /** Ids returned at most. */
  readonly maxIds: number;
}

/** Ids of `level` with grid keys on `date`, sorted (at most `limits.maxIds`). */
export async function scanGridEntityIds(
  view: RealtimeViewOptions,
  level: GridLevel,
  date: string,
  limits: EntityScanLimits,
): Promise<string[]> {
  const ids = new Set<string>();
  const nodes = await scanTargets(view.redis);
  for (let p = 0; p < view.partitions; p++) {
    const head = `${partitionTag(view.keyPrefix, p)}:g:${GRID_LEVEL_CODES[level]}:`;
    const pattern = `${head.replace(/[*?[\]\\]/g, '\\$&')}*:${date}`;
    for (const node of nodes) {
      let cursor = '0';
      for (let call = 0; call < limits.maxCalls; call++) {
        const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
        for (const k of keys) {
          ids.add(k.slice(head.length, k.length - date.length - 1));
          if (ids.size >= limits.maxIds) return [...ids].sort();
        }
        cursor = next;
        if (cursor === '0') break;
      }
    }
  }
  return [...ids].sort();
}
