/**
 * Loads a topology snapshot from a JSONL file of SPEC 3.4 rows (the simulator's topology.jsonl).
 * Used by every layer (speed layer, batch worker); object-storage loading of the versioned
 * dataset is not built yet (the file is given by AMI_TOPOLOGY_FILE).
 */
import { readFile } from 'node:fs/promises';
import { parse, setting, type SettingsSpec } from './config/settings.ts';
import {
  buildTopologyIndex,
  validateTopologyRow,
  type TopologyIndex,
  type TopologyRow,
} from './contracts/index.ts';

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

/** Where every layer finds the topology (shared, so speed layer and batch worker read the same file). */
export const topologySettings = {
  topologyFile: setting(
    'AMI_TOPOLOGY_FILE',
    'Topology JSONL (SPEC 3.4 rows, e.g. the simulator output); the speed layer runs without one (no UNKNOWN_METER check, no substation/region aggregates), the batch worker requires it, the API needs it for edits (unknown meters are refused) and billing (unknown service points are 404)',
    '',
    parse.string(),
  ),
} as const satisfies SettingsSpec;
