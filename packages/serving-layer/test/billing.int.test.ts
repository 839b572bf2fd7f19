/**
 * GET /v1/billing/determinants against real MinIO and DuckDB, through the whole app (auth, schemas,
 * error mapping). Batch views are published with the real CatalogPublisher in one commit:
 *  - every day of 2026-02 (complete period) with a billing_determinants partition of 3 service
 *    points (one on hold, one whose customer id needs CSV quoting);
 *  - 2026-03-01…03-10 and 2026-03-12 (so 2026-03 is not final; 03-11 and 03-13…31 unpublished);
 *    the watermark ends the run holding the latest published day: the end of 2026-03-12.
 * Other daily/monthly views carry a tiny placeholder file (the watermark needs every view of a day).
 * Checks JSON values (kWh from integer Wh, kW demand, versions, watermark), CSV (header, RFC 4180
 * quoting, same figures), Parquet read back with DuckDB, 409 naming exactly the unpublished days, 404
 * for an unknown service point — with a topology, also in a period that is not final — and JSON 4xx
 * naming every bad parameter.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CatalogPublisher, type PartitionInput } from '@ami/batch-layer/catalog';
import { DAILY_VIEWS, MONTHLY_VIEWS, datePartition, monthPartition } from '@ami/shared/catalog';
import { sqlPath, withConnection } from '@ami/shared/clients';
import type { TopologyRow } from '@ami/shared/contracts';
import { localDatesOfMonth, localDayBounds } from '@ami/shared/time';
import { integrationConfig, uniqueName } from '../../../test/support/config.ts';
import { billingRoutes, type BillingDeterminantsResponse } from '../src/routes/billing.ts';
import { topologyOfRows } from '../src/topology.ts';
import { buildTestApi, realDeps, type TestApi, type TestDeps } from './support/app.ts';
import { deletePrefix } from './support/catalog.ts';

interface Sp {
  id: string;
  customer: string;
  tariff: string;
  total: number;
  peak: number;
  off: number;
  flat: number;
  demandW: number;
  demandAtMs: number;
  intervals: number;
  est: number;
  edited: number;
  missing: number;
  outage: number;
  hold: boolean;
  reason: string | null;
}

describe('billing determinants route on MinIO + DuckDB', () => {
  const config = integrationConfig();
  const work = mkdtempSync(join(tmpdir(), 'ami-billing-it-'));
  let deps: TestDeps;
  let api: TestApi;
  let tz: string;
  let sps: Sp[];

  const get = (url: string, role: 'billing' | 'analyst' = 'billing') =>
    api.app.inject({ method: 'GET', url, headers: { 'x-api-key': api.keys[role] } });

  beforeAll(async () => {
    deps = await realDeps(config, `it/${uniqueName('billing')}/`);
    tz = deps.deps.timeZone;
    const db = deps.deps.db;
    const feb = localDatesOfMonth('2026-02');
    const febSlots = feb.length * 96;
    sps = [
      {
        id: 'SP-A',
        customer: 'CUST-1',
        tariff: 'tou',
        total: 123_456,
        peak: 100_000,
        off: 23_456,
        flat: 0,
        demandW: 5_004,
        demandAtMs: localDayBounds('2026-02-10', tz).startMs + 30 * 900_000,
        intervals: febSlots,
        est: 3,
        edited: 1,
        missing: 2,
        outage: 4,
        hold: false,
        reason: null,
      },
      {
        id: 'SP-B',
        customer: 'Doe, "J" Jr', // needs RFC 4180 quoting
        tariff: 'flat',
        total: 7,
        peak: 0,
        off: 0,
        flat: 7,
        demandW: 28,
        demandAtMs: localDayBounds('2026-02-01', tz).startMs,
        intervals: febSlots,
        est: 400,
        edited: 0,
        missing: 0,
        outage: 0,
        hold: true,
        reason: 'ESTIMATED_SHARE: 15% of intervals estimated or missing',
      },
      {
        id: 'SP-C',
        customer: 'CUST-3',
        tariff: 'tou',
        total: 1_000,
        peak: 1,
        off: 999,
        flat: 0,
        demandW: 4,
        demandAtMs: localDayBounds('2026-02-28', tz).startMs,
        intervals: febSlots,
        est: 0,
        edited: 0,
        missing: 0,
        outage: 0,
        hold: false,
        reason: null,
      },
    ];
    const lit = (s: string | null) => (s === null ? 'NULL::VARCHAR' : `'${s.replaceAll("'", "''")}'`);
    const billingRows = sps.map(
      (s) =>
        `(${lit(s.id)}, ${lit(s.customer)}, ${lit(s.tariff)}, ${s.total}::BIGINT, ${s.peak}::BIGINT, ` +
        `${s.off}::BIGINT, ${s.flat}::BIGINT, ${s.demandW}::BIGINT, make_timestamptz(${s.demandAtMs}::BIGINT * 1000), ` +
        `${s.intervals}::INTEGER, ${s.est}::INTEGER, ${s.edited}::INTEGER, ${s.missing}::INTEGER, ${s.outage}::INTEGER, ` +
        `${feb.length}::INTEGER, ${feb.length}::INTEGER, true, ${s.hold}, ${lit(s.reason)})`,
    );
    const billingPath = join(work, 'billing-2026-02.parquet');
    const placeholder = join(work, 'placeholder.parquet');
    await withConnection(db, async (c) => {
      await c.run(
        `COPY (SELECT * FROM (VALUES ${billingRows.join(', ')}) t(service_point_id, customer_id, tariff, total_wh,
           peak_wh, off_peak_wh, flat_wh, max_demand_w, max_demand_at, intervals, estimated, edited, missing,
           outage, days, days_in_period, complete, hold, hold_reason) ORDER BY service_point_id)
         TO ${sqlPath(billingPath)} (FORMAT parquet)`,
      );
      await c.run(
        `COPY (SELECT 'M1' AS meter_id, 1::BIGINT AS wh) TO ${sqlPath(placeholder)} (FORMAT parquet)`,
      );
    });
    const marchDays = [...localDatesOfMonth('2026-03').slice(0, 10), '2026-03-12'];
    const inputs: PartitionInput[] = [];
    for (const d of [...feb, ...marchDays])
      for (const view of DAILY_VIEWS)
        inputs.push({ view, partition: datePartition(d), files: [{ path: placeholder, rows: 1 }] });
    for (const month of ['2026-02', '2026-03'])
      for (const view of MONTHLY_VIEWS)
        inputs.push({
          view,
          partition: monthPartition(month),
          files: [
            view === 'billing_determinants' && month === '2026-02'
              ? { path: billingPath, rows: sps.length }
              : { path: placeholder, rows: 1 },
          ],
        });
    const publisher = new CatalogPublisher({
      s3: deps.s3,
      bucket: deps.bucket,
      prefix: deps.prefix,
      timeZone: tz,
      retentionMs: 86_400_000,
    });
    await publisher.publish(inputs, { cause: 'test' });
    api = await buildTestApi({ deps: deps.deps, routes: [billingRoutes] });
  });

  afterAll(async () => {
    await api?.app.close();
    if (deps) {
      await deletePrefix(deps.s3, deps.bucket, deps.prefix);
      await deps.close();
    }
    rmSync(work, { recursive: true, force: true });
  });

  it('answers the determinants of a final period as JSON, with versions and watermark', async () => {
    const res = await get('/v1/billing/determinants?period=2026-02');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = res.json<BillingDeterminantsResponse>();
    const catalog = (await get('/v1/catalog')).json<{
      version: string;
      watermark: string;
      views: { view: string; version: string }[];
    }>();
    expect(body.catalog_version).toBe(catalog.version);
    expect(body.watermark).toBe(catalog.watermark);
    expect(body.view_version).toBe(catalog.views.find((v) => v.view === 'billing_determinants')?.version);
    expect(new Date(body.watermark).getTime()).toBe(localDayBounds('2026-03-12', tz).endMs);
    expect(body.period).toBe('2026-02');
    expect(new Date(body.period_start).getTime()).toBe(localDayBounds('2026-02-01', tz).startMs);
    expect(new Date(body.period_end).getTime()).toBe(localDayBounds('2026-03-01', tz).startMs);
    expect(body.determinants.map((d) => d.service_point_id)).toEqual(['SP-A', 'SP-B', 'SP-C']);
    const a = body.determinants[0]!;
    expect(a).toMatchObject({
      customer_id: 'CUST-1',
      tariff: 'tou',
      total_kwh: 123.456,
      tou: { peak_kwh: 100, off_peak_kwh: 23.456, flat_kwh: 0 },
      max_demand_kw: 5.004,
      intervals: { total: 28 * 96, estimated: 3, edited: 1, missing: 2, outage: 4 },
      days: 28,
      days_in_period: 28,
      complete: true,
      hold: false,
      hold_reason: null,
    });
    expect(new Date(a.max_demand_at!).getTime()).toBe(sps[0]!.demandAtMs);
    expect(body.determinants[1]).toMatchObject({
      customer_id: 'Doe, "J" Jr',
      total_kwh: 0.007,
      tou: { flat_kwh: 0.007 },
      max_demand_kw: 0.028,
      hold: true,
      hold_reason: sps[1]!.reason,
    });
  });

  it('filters one service point; an unknown one is 404', async () => {
    const one = await get('/v1/billing/determinants?period=2026-02&servicePointId=SP-C');
    expect(one.statusCode).toBe(200);
    const body = one.json<BillingDeterminantsResponse>();
    expect(body.service_point_id).toBe('SP-C');
    expect(body.determinants).toHaveLength(1);
    expect(body.determinants[0]).toMatchObject({
      total_kwh: 1,
      tou: { peak_kwh: 0.001, off_peak_kwh: 0.999 },
    });

    for (const format of ['json', 'csv', 'parquet']) {
      const res = await get(
        `/v1/billing/determinants?period=2026-02&servicePointId=SP-NOPE&format=${format}`,
      );
      expect(res.statusCode, format).toBe(404);
      expect(res.json()).toMatchObject({ error: 'not_found', details: { servicePointId: 'SP-NOPE' } });
    }
  });

  it('answers CSV with a header row, RFC 4180 quoting and the same figures', async () => {
    const res = await get('/v1/billing/determinants?period=2026-02&format=csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="billing-determinants-2026-02.csv"',
    );
    const lines = res.body.split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines[0]).toBe(
      'period,service_point_id,customer_id,tariff,total_kwh,peak_kwh,off_peak_kwh,flat_kwh,max_demand_kw,' +
        'max_demand_at,intervals,estimated,edited,missing,outage,days,days_in_period,complete,hold,hold_reason,' +
        'view_version,catalog_version,watermark',
    );
    expect(lines).toHaveLength(5);
    const json = (await get('/v1/billing/determinants?period=2026-02')).json<BillingDeterminantsResponse>();
    const tail = `${json.view_version},${json.catalog_version},${json.watermark}`;
    expect(lines[1]).toBe(
      `2026-02,SP-A,CUST-1,tou,123.456,100.000,23.456,0.000,5.004,${json.determinants[0]!.max_demand_at},` +
        `2688,3,1,2,4,28,28,true,false,,${tail}`,
    );
    expect(lines[2]).toBe(
      `2026-02,SP-B,"Doe, ""J"" Jr",flat,0.007,0.000,0.000,0.007,0.028,${json.determinants[1]!.max_demand_at},` +
        `2688,400,0,0,0,28,28,true,true,ESTIMATED_SHARE: 15% of intervals estimated or missing,${tail}`,
    );
  });

  it('answers Parquet that DuckDB reads back with the view rows', async () => {
    const res = await get('/v1/billing/determinants?period=2026-02&format=parquet');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/vnd.apache.parquet');
    expect(res.headers['content-disposition']).toBe(
      'attachment; filename="billing-determinants-2026-02.parquet"',
    );
    const raw = res.rawPayload;
    expect(raw.subarray(0, 4).toString()).toBe('PAR1');
    const dir = join(work, 'download');
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'got.parquet');
    writeFileSync(path, raw);
    const json = (await get('/v1/billing/determinants?period=2026-02')).json<BillingDeterminantsResponse>();
    const rows = await withConnection(deps.deps.db, async (c) => {
      const r = await c.runAndReadAll(
        `SELECT period, service_point_id, customer_id, total_wh, peak_wh, off_peak_wh, flat_wh, max_demand_w,
                epoch_ms(max_demand_at) AS at_ms, estimated, hold, hold_reason, view_version, catalog_version, watermark
         FROM read_parquet(${sqlPath(path)}) ORDER BY service_point_id`,
      );
      return r.getRowObjects();
    });
    expect(rows).toHaveLength(3);
    for (const [i, sp] of sps.entries()) {
      const row = rows[i]!;
      expect(row).toMatchObject({
        period: '2026-02',
        service_point_id: sp.id,
        customer_id: sp.customer,
        total_wh: BigInt(sp.total),
        peak_wh: BigInt(sp.peak),
        off_peak_wh: BigInt(sp.off),
        flat_wh: BigInt(sp.flat),
        max_demand_w: BigInt(sp.demandW),
        at_ms: BigInt(sp.demandAtMs),
        hold: sp.hold,
        hold_reason: sp.reason,
        view_version: json.view_version,
        catalog_version: json.catalog_version,
        watermark: json.watermark,
      });
      // the JSON figures are the same integers in kWh
      expect(Number(row.total_wh) / 1000).toBe(json.determinants[i]!.total_kwh);
    }

    const one = await get('/v1/billing/determinants?period=2026-02&servicePointId=SP-B&format=parquet');
    expect(one.statusCode).toBe(200);
    writeFileSync(path, one.rawPayload);
    const ids = await withConnection(deps.deps.db, async (c) =>
      (await c.runAndReadAll(`SELECT service_point_id FROM read_parquet(${sqlPath(path)})`)).getRowObjects(),
    );
    expect(ids).toEqual([{ service_point_id: 'SP-B' }]);
  });

  it('answers 409 naming exactly the unpublished days of a period that is not final', async () => {
    const res = await get('/v1/billing/determinants?period=2026-03');
    expect(res.statusCode).toBe(409);
    const body = res.json<{ error: string; details: { missing_days: string[]; watermark: string } }>();
    expect(body.error).toBe('conflict');
    const expected = ['2026-03-11', ...localDatesOfMonth('2026-03').slice(12)];
    expect(body.details.missing_days).toEqual(expected);
    expect(body.details.missing_days).not.toContain('2026-03-12');
    // the watermark lies past the gap 03-11: the unpublished days decide finality, not the watermark
    expect(new Date(body.details.watermark).getTime()).toBe(localDayBounds('2026-03-12', tz).endMs);

    // a period before anything was published: every day is missing, whatever the watermark says
    const jan = await get('/v1/billing/determinants?period=2026-01&format=csv');
    expect(jan.statusCode).toBe(409);
    expect(jan.json<{ details: { missing_days: string[] } }>().details.missing_days).toEqual(
      localDatesOfMonth('2026-01'),
    );
    // and a period after the watermark
    const apr = await get('/v1/billing/determinants?period=2026-04&format=parquet');
    expect(apr.statusCode).toBe(409);
    expect(apr.json<{ details: { missing_days: string[] } }>().details.missing_days).toHaveLength(30);
  });

  it('answers 404 for a service point the topology does not know in the period, final or not', async () => {
    // found by a utility's own test: an unknown service point answered 409 while its period was not final
    const row = (sp: string, validFrom: string, validTo: string | null): TopologyRow => ({
      meter_id: `M-${sp}`,
      service_point_id: sp,
      customer_id: `C-${sp}`,
      transformer_id: 'TX-1',
      feeder_id: 'FDR-1',
      substation_id: 'SUB-1',
      region: 'R1',
      segment: 'residential',
      tariff: 'flat',
      prosumer: false,
      valid_from: validFrom,
      valid_to: validTo,
    });
    const topology = topologyOfRows([
      row('SP-A', '2025-01-01T00:00:00Z', null),
      row('SP-B', '2025-01-01T00:00:00Z', null),
      row('SP-C', '2025-01-01T00:00:00Z', null),
      row('SP-OLD', '2025-01-01T00:00:00Z', '2026-02-15T00:00:00Z'),
    ]);
    const withTopology = await buildTestApi({ deps: { ...deps.deps, topology }, routes: [billingRoutes] });
    const status = async (q: string) =>
      (
        await withTopology.app.inject({
          method: 'GET',
          url: `/v1/billing/determinants?${q}`,
          headers: { 'x-api-key': withTopology.keys.billing },
        })
      ).statusCode;
    try {
      expect(await status('period=2026-03&servicePointId=SP-NOPE')).toBe(404);
      expect(await status('period=2026-03&servicePointId=SP-OLD')).toBe(404);
      expect(await status('period=2026-03&servicePointId=SP-A')).toBe(409);
      expect(await status('period=2026-03')).toBe(409);
      expect(await status('period=2026-02&servicePointId=SP-NOPE&format=csv')).toBe(404);
      expect(await status('period=2026-02&servicePointId=SP-C')).toBe(200);
      // known to the topology in February, but without a row in the final period's view
      expect(await status('period=2026-02&servicePointId=SP-OLD')).toBe(404);
    } finally {
      await withTopology.app.close();
    }
  });

  it('answers a period outside the supported years with 400 naming the range', async () => {
    for (const period of ['9999-12', '0001-06', '0000-01']) {
      const res = await get(`/v1/billing/determinants?period=${period}`);
      expect(res.statusCode, period).toBe(400);
      expect(res.json<{ message: string }>().message, period).toBe(
        `query parameter "period" must be a month from 0002-01 to 9998-12; received "${period}"`,
      );
    }
  });

  it('answers JSON 4xx for every bad parameter and role', async () => {
    const bad = [
      '/v1/billing/determinants',
      '/v1/billing/determinants?period=2026-13',
      '/v1/billing/determinants?period=2026-00',
      '/v1/billing/determinants?period=202602',
      '/v1/billing/determinants?period=2026-02-01',
      '/v1/billing/determinants?period=2026-02&format=xml',
      '/v1/billing/determinants?period=2026-02&servicePointId=bad%20id',
      "/v1/billing/determinants?period=2026-02&servicePointId=SP'%3BDROP",
      '/v1/billing/determinants?period=2026-02&other=1',
      '/v1/billing/determinants?period=2026-02&period=2026-03',
    ];
    for (const url of bad) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(400);
      expect(res.headers['content-type'], url).toMatch(/^application\/json/);
      expect(Object.keys(res.json<object>()).sort(), url).toEqual(['details', 'error', 'message']);
      const param = url.includes('other=1')
        ? 'other'
        : url.includes('format=xml')
          ? 'format'
          : url.includes('servicePointId')
            ? 'servicePointId'
            : 'period';
      expect(res.json<{ message: string }>().message, url).toContain(`query parameter "${param}"`);
    }
    expect((await get('/v1/billing/determinants?period=2026-02', 'analyst')).statusCode).toBe(403);
  });
});
