/**
 * Loads a topology snapshot from a JSONL file of SPEC 3.4 rows (the simulator's topology.jsonl).
 * Object-storage loading of the versioned dataset belongs to a later part.
 */
import { readFile } from 'node:fs/promises';
import {
  buildTopologyIndex,
  validateTopologyRow,
  type TopologyIndex,
  type TopologyRow,
} from '@ami/shared/contracts';

/** The validated rows of a topology JSONL file (throws naming the first bad line). */
export async function loadTopologyRows(path: string): Promise<TopologyRow[]> {
  const rows: TopologyRow[] = [];
  const lines = (await readFile(path, 'utf8')).split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    const checked = validateTopologyRow(JSON.parse(line));
    if (!checked.ok) throw new Error(`${path}:${i + 1}: ${checked.reason}: ${checked.detail}`);
    rows.push(checked.value);
  });
  return rows;
}

export async function loadTopologyFile(path: string): Promise<TopologyIndex> {
  return buildTopologyIndex(await loadTopologyRows(path));
}
