/**
 * `pnpm ami bench serve [--quick]` — the serving layer's SPEC 9 figures (bench/results/serve.json),
 * measured against the REAL app (buildApp with real Redis, MinIO catalog + object cache, DuckDB)
 * listening on 127.0.0.1 in this process, driven by autocannon with 64 connections:
 *  (1) meter_series_*: the merged one-meter 31-day 1h-step series (28 batch days + 3 realtime days),
 *      rotating over every meter of the fleet;
 *  (2) billing_export_*: the billing determinants of one complete period (JSON, all service points);
 *  (3) trivial_*: GET /healthz — the framework bound of the same run.
 * Data: a fleet of 500 meters, 31 days of batch views (January 2026) written with DuckDB in the view
 * schemas and published with CatalogPublisher (lib/fleet.ts), plus 3 days (quick: 2) of realtime
 * view after the watermark applied through the speed layer's apply path. Each phase runs ~20 s
 * (quick: ~5 s) after a warm-up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { writeBenchResult } from '@ami/shared/bench';
import { CatalogReader } from '@ami/shared/catalog';
import { createRedis, createS3, openDuckDB, S3ObjectCache } from '@ami/shared/clients';
import { loadConfig } from '@ami/shared/config';
import { createMetricsRegistry } from '@ami/shared/metrics';
import { buildApp } from '../src/app.ts';
import { generateDevKeys, KeyStore } from '../src/auth/key-store.ts';
import type { RouteModule, ServingDeps } from '../src/routes/context.ts';
import { seriesRoutes } from '../src/routes/series.ts';
import { loadServingSettings } from '../src/settings.ts';
import { applyFleetReads, makeFleet, publishFleetViews } from './lib/fleet.ts';

const quick = process.argv.includes('--quick');
const SECONDS = quick ? 5 : 20;
const CONNECTIONS = 64;
const METERS = 500;
const PARTITIONS = 6;
const BATCH_DATES = Array.from({ length: 31 }, (_, i) => `2026-01-${String(i + 1).padStart(2, '0')}`);
const RT_DATES = ['2026-02-01', '2026-02-02', '2026-02-03'].slice(0, quick ? 2 : 3);
const SERIES_QUERY = `from=${encodeURIComponent('2026-01-04T00:00:00+01:00')}&to=${encodeURIComponent(
  '2026-02-04T00:00:00+01:00',
)}&step=1h`;

interface Phase {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

async function run(url: string, key: string, paths: () => string): Promise<Phase> {
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { 'x-api-key': key },
    requests: [{ method: 'GET', setupRequest: (req) => ({ ...req, path: paths() }) }],
  });
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

async function main(): Promise<void> {
  const config = loadConfig();
  const settings = loadServingSettings();
  const tz = config.connection.timeZone;
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  const redis = createRedis(config, { connectionName: 'bench-serve' });
  const stamp = `${Date.now().toString(36)}-${process.pid}`;
  const prefix = `bench/serve-${stamp}/`;
  const rvPrefix = `bsrv${stamp}`.replace(/[^A-Za-z0-9]/g, '');
  const work = mkdtempSync(join(tmpdir(), 'ami-bench-serve-'));
  const db = await openDuckDB({
    threads: settings.duckdbThreads,
    memoryLimit: settings.duckdbMemoryLimit,
    parquetMetadataCache: true,
  });
  const fleet = makeFleet(METERS);
  try {
    let t = performance.now();
    await publishFleetViews({
      db,
      s3,
      bucket,
      prefix,
      timeZone: tz,
      dir: join(work, 'views'),
      fleet,
      dates: BATCH_DATES,
    });
    const publishS = (performance.now() - t) / 1000;
    t = performance.now();
    const nowMs = Date.UTC(2026, 1, 10);
    await applyFleetReads(
      redis,
      { keyPrefix: rvPrefix, partitions: PARTITIONS, timeZone: tz, nowMs },
      RT_DATES.flatMap((date) =>
        fleet.flatMap((meter, m) => Array.from({ length: 96 }, (_, slot) => ({ meter, m, date, slot }))),
      ),
    );
    const applyS = (performance.now() - t) / 1000;

    const cache = new S3ObjectCache({
      s3,
      bucket,
      dir: join(work, 'cache'),
      maxBytes: settings.cacheMaxBytes,
    });
    const deps: ServingDeps = {
      redis,
      catalog: new CatalogReader({ s3, bucket, prefix, cache, refreshMs: 60_000 }),
      db,
      timeZone: tz,
      realtimePrefix: rvPrefix,
      partitions: PARTITIONS,
      now: () => nowMs,
    };
    const routes: RouteModule[] = [seriesRoutes];
    let billing = true;
    try {
      const mod = (await import('../src/routes/billing.ts')) as { billingRoutes?: RouteModule };
      if (mod.billingRoutes) routes.push(mod.billingRoutes);
      else billing = false;
    } catch (err) {
      billing = false;
      process.stderr.write(`bench serve: billing route not loadable: ${String(err)}\n`);
    }
    const dev = generateDevKeys();
    const keyOf = (role: string) => dev.keys.find((k) => k.role === role)!.key;
    const app = await buildApp({
      deps,
      routes,
      keys: new KeyStore(dev.entries),
      settings: {
        rateLimitPerMin: 0,
        bodyLimitBytes: settings.bodyLimitBytes,
        requestTimeoutMs: settings.requestTimeoutMs,
        pseudonymSecret: 'bench-pseudonym-secret-0123456789',
        metricsPublic: true,
        readyTimeoutMs: settings.readyTimeoutMs,
        validateResponses: settings.validateResponses,
      },
      registry: createMetricsRegistry('serving-bench', { defaultMetrics: false }),
    });
    const url = await app.listen({ host: '127.0.0.1', port: 0 });
    try {
      let i = 0;
      const seriesPath = () => `/v1/meters/${fleet[i++ % METERS]!.meterId}/series?${SERIES_QUERY}`;
      const billingPath = () => '/v1/billing/determinants?period=2026-01';
      // Warm-up: the view files land in the object cache, DuckDB and V8 warm up; check the answers.
      const check = async (path: string, key: string) => {
        const res = await fetch(`${url}${path}`, { headers: { 'x-api-key': key } });
        const body = await res.text();
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 300)}`);
        return body;
      };
      const series = JSON.parse(await check(seriesPath(), keyOf('analyst'))) as {
        points: { status: string }[];
      };
      const statuses = series.points.reduce<Record<string, number>>((a, p) => {
        a[p.status] = (a[p.status] ?? 0) + 1;
        return a;
      }, {});
      process.stderr.write(`series warm-up: ${series.points.length} points ${JSON.stringify(statuses)}\n`);
      for (let k = 0; k < 50; k++) await check(seriesPath(), keyOf('analyst'));
      if (billing) {
        try {
          await check(billingPath(), keyOf('billing'));
        } catch (err) {
          billing = false;
          process.stderr.write(`bench serve: billing export not measurable: ${String(err)}\n`);
        }
      }

      const meterSeries = await run(url, keyOf('analyst'), seriesPath);
      const billingExport = billing ? await run(url, keyOf('billing'), billingPath) : undefined;
      const trivial = await run(url, keyOf('analyst'), () => '/healthz');

      writeBenchResult('serve', {
        meter_series_rps: Math.round(meterSeries.rps),
        meter_series_p50_ms: meterSeries.p50,
        meter_series_p99_ms: meterSeries.p99,
        billing_export_rps: billingExport ? Math.round(billingExport.rps) : null,
        billing_export_p50_ms: billingExport ? billingExport.p50 : null,
        billing_export_p99_ms: billingExport ? billingExport.p99 : null,
        trivial_rps: Math.round(trivial.rps),
        trivial_p50_ms: trivial.p50,
        trivial_p99_ms: trivial.p99,
        meter_series_ratio_to_trivial: Number((meterSeries.rps / trivial.rps).toFixed(3)),
        meter_series_non2xx: meterSeries.non2xx + meterSeries.errors,
        billing_export_non2xx: billingExport ? billingExport.non2xx + billingExport.errors : null,
        trivial_non2xx: trivial.non2xx + trivial.errors,
        meter_series_points: series.points.length,
        billing_service_points: METERS,
        connections: CONNECTIONS,
        seconds_per_phase: SECONDS,
        meters: METERS,
        batch_days: BATCH_DATES.length,
        realtime_days: RT_DATES.length,
        setup_publish_s: Number(publishS.toFixed(2)),
        setup_realtime_apply_s: Number(applyS.toFixed(2)),
        quick,
      });
    } finally {
      await app.close();
    }
  } finally {
    const { deletePrefix } = await import('../../../test/support/s3.ts');
    await deletePrefix(s3, bucket, prefix).catch(() => undefined);
    const keys = await redis.keys(`{${rvPrefix}:*`);
    for (let k = 0; k < keys.length; k += 1000) await redis.del(...keys.slice(k, k + 1000));
    redis.disconnect();
    s3.destroy();
    db.closeSync();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
