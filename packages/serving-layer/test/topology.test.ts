/**
 * The API's topology lookups (src/topology.ts): a meter is known at an instant when a version is
 * active then (the UNKNOWN_METER rule), a service point during a period when a version overlaps it;
 * the file is re-read when it changes, and a broken rewrite keeps the last good snapshot.
 */
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { TopologyRow } from '@ami/shared/contracts';
import { TopologyFile, topologyOfRows } from '../src/topology.ts';

function row(meter: string, sp: string, validFrom: string, validTo: string | null): TopologyRow {
  return {
    meter_id: meter,
    service_point_id: sp,
    customer_id: 'C-1',
    transformer_id: 'TX-1',
    feeder_id: 'FDR-1',
    substation_id: 'SUB-1',
    region: 'R1',
    segment: 'residential',
    tariff: 'flat',
    prosumer: false,
    valid_from: validFrom,
    valid_to: validTo,
  };
}

const at = (iso: string) => Date.parse(iso);
const work = mkdtempSync(join(tmpdir(), 'ami-topology-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('topology lookups', () => {
  const topology = topologyOfRows([
    row('M1', 'SP-1', '2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'),
    row('M2', 'SP-1', '2026-02-01T00:00:00Z', null),
  ]);

  it('knows a meter at an instant its version covers, and says why not otherwise', async () => {
    expect(await topology.meterAt('M1', at('2026-01-15T00:00:00Z'))).toEqual({ known: true });
    expect(await topology.meterAt('M1', at('2026-02-01T00:00:00Z'))).toEqual({
      known: false,
      why: expect.stringContaining('no topology version active at') as unknown,
    });
    expect(await topology.meterAt('M9', at('2026-01-15T00:00:00Z'))).toEqual({
      known: false,
      why: expect.stringContaining('not in the topology') as unknown,
    });
  });

  it('knows a service point during a period any of its versions overlaps', async () => {
    const march = [at('2026-03-01T00:00:00Z'), at('2026-04-01T00:00:00Z')] as const;
    expect(await topology.servicePointDuring('SP-1', ...march)).toBe(true);
    expect(
      await topology.servicePointDuring('SP-1', at('2025-12-01T00:00:00Z'), at('2026-01-01T00:00:00Z')),
    ).toBe(false);
    expect(await topology.servicePointDuring('SP-9', ...march)).toBe(false);
  });

  it('re-reads its file when it changes and keeps the last good one when a rewrite is broken', async () => {
    const path = join(work, 'topology.jsonl');
    const write = (text: string, mtimeS: number) => {
      writeFileSync(path, text);
      utimesSync(path, mtimeS, mtimeS);
    };
    write(`${JSON.stringify(row('M1', 'SP-1', '2026-01-01T00:00:00Z', null))}\n`, 1_000);
    let now = 0;
    const file = new TopologyFile(path, { checkEveryMs: 10, now: () => now });
    await file.load();
    const t = at('2026-03-01T00:00:00Z');
    expect(await file.meterAt('M2', t)).toMatchObject({ known: false });

    write(
      `${JSON.stringify(row('M1', 'SP-1', '2026-01-01T00:00:00Z', null))}\n` +
        `${JSON.stringify(row('M2', 'SP-2', '2026-01-01T00:00:00Z', null))}\n`,
      2_000,
    );
    expect(await file.meterAt('M2', t)).toMatchObject({ known: false }); // not looked at yet
    now += 10;
    expect(await file.meterAt('M2', t)).toEqual({ known: true });

    write('{"meter_id": broken\n', 3_000);
    now += 10;
    expect(await file.meterAt('M2', t)).toEqual({ known: true });
    await expect(file.load()).rejects.toThrow();
  });
});
