import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseIsoInstant } from '@ami/shared/time';
import {
  ControlErrorSchema,
  LiveRun,
  NO_FAULTS,
  OutageResponseSchema,
  SimStatusSchema,
  Simulation,
  runOutageCli,
  startControlServer,
  type ControlServer,
  type OutageResponse,
} from '../src/index.ts';
import { TZ } from './helpers.ts';
import { FakeClock, TimedSink } from './live-support.ts';

async function call(
  url: string,
  method: string,
  body?: string,
): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, {
    method,
    ...(body === undefined ? {} : { body, headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

/** Runs the `sim outage` command, capturing what it prints. */
async function outageCli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => ((err += String(s)), true));
  try {
    return { code: await runOutageCli(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}

describe('control server', () => {
  let server: ControlServer;
  let sim: Simulation;
  const clock = new FakeClock(parseIsoInstant('2026-06-02T10:00:00+02:00'));

  beforeAll(async () => {
    const sink = new TimedSink(clock);
    sim = new Simulation(
      { seed: 4, meters: 80, days: Infinity, startDate: '2026-06-02', timeZone: TZ, faults: NO_FAULTS },
      sink,
    );
    const live = new LiveRun(sim, sink, {
      pace: { pacedFromMs: parseIsoInstant('2026-06-02T00:00:00+02:00'), speedup: 10 },
      clock,
    });
    server = await startControlServer(live, 0, TZ);
  });
  afterAll(() => server.close());

  const metersOf = (index: number): string[] =>
    (sim.fleet.transformers[index]?.meters ?? []).map((m) => sim.fleet.meters[m]?.meterId ?? '');

  it('reports the status', async () => {
    const { status, json } = await call(`${server.url}/status`, 'GET');
    expect(status).toBe(200);
    expect(Value.Check(SimStatusSchema, json)).toBe(true);
    expect(json).toMatchObject({ sim_clock: '2026-06-02T00:00:00+02:00', reads: 0, events: 0 });
    expect(json.lag_s).toBe(36_000);
  });

  it('takes a named transformer down for the minutes asked (202), then refuses it while out (409)', async () => {
    const { status, json } = await call(
      `${server.url}/faults/outage`,
      'POST',
      '{"transformer_id":"TX-00002","minutes":45}',
    );
    expect(status).toBe(202);
    expect(Value.Check(OutageResponseSchema, json)).toBe(true);
    const body = json as OutageResponse;
    expect(body.transformer_id).toBe('TX-00002');
    expect(body.meter_ids).toEqual(metersOf(1));
    expect(body.from).toBe('2026-06-02T00:00:00+02:00');
    expect(parseIsoInstant(body.to) - parseIsoInstant(body.from)).toBe(45 * 60_000);
    expect(body).toMatchObject({ first_interval_start: '2026-06-02T00:00:00+02:00', intervals: 3 });

    const again = await call(`${server.url}/faults/outage`, 'POST', '{"transformer_id":"TX-00002"}');
    expect(again.status).toBe(409);
    expect(Value.Check(ControlErrorSchema, again.json)).toBe(true);
    expect(again.json).toMatchObject({ error: 'Conflict' });
  });

  it('defaults to the first transformer that is not out, for 30 minutes', async () => {
    const { status, json } = await call(`${server.url}/faults/outage`, 'POST');
    expect(status).toBe(202);
    expect(json.transformer_id).toBe('TX-00001');
    expect(json.meter_ids).toEqual(metersOf(0));
    expect(parseIsoInstant(json.to as string) - parseIsoInstant(json.from as string)).toBe(30 * 60_000);
  });

  it.each([
    ['not JSON', 'nope', 'not JSON'],
    ['minutes 0', '{"minutes":0}', 'minutes'],
    ['minutes not a number', '{"minutes":"10"}', 'minutes'],
    ['minutes not whole', '{"minutes":1.5}', 'minutes'],
    ['unknown field', '{"transformer":"TX-00001"}', 'transformer'],
    ['an array', '[]', 'body'],
  ])('answers 400 with a JSON error for %s', async (_name, body, mention) => {
    const { status, json } = await call(`${server.url}/faults/outage`, 'POST', body);
    expect(status).toBe(400);
    expect(json.error).toBe('BadRequest');
    expect(String(json.message)).toContain(mention);
  });

  it('answers 404 for an unknown transformer or path, 405 for a wrong method', async () => {
    const tx = await call(`${server.url}/faults/outage`, 'POST', '{"transformer_id":"TX-99999"}');
    expect(tx).toMatchObject({ status: 404, json: { error: 'NotFound' } });
    expect(String(tx.json.message)).toContain('TX-99999');
    expect((await call(`${server.url}/nothing`, 'GET')).status).toBe(404);
    expect((await call(`${server.url}/faults/outage`, 'GET')).status).toBe(405);
    expect((await call(`${server.url}/status`, 'POST', '{}')).status).toBe(405);
  });

  describe('pnpm ami sim outage', () => {
    it('posts the outage and prints the answer', async () => {
      const r = await outageCli(['--control', server.url, '--transformer', 'TX-00003', '--minutes', '10']);
      expect(r.code).toBe(0);
      const body = JSON.parse(r.out) as OutageResponse;
      expect(body.transformer_id).toBe('TX-00003');
      expect(body.meter_ids).toEqual(metersOf(2));
    });

    it('exits 1 with one line for an HTTP failure', async () => {
      const conflict = await outageCli(['--control', `${server.url}/`, '--transformer', 'TX-00003']);
      expect(conflict.code).toBe(1);
      expect(conflict.err).toMatch(/^ami sim outage: HTTP 409: TX-00003 is out.*\n$/);
      const unknown = await outageCli(['--control', server.url, '--transformer', 'TX-77777']);
      expect(unknown).toMatchObject({ code: 1, out: '' });
      expect(unknown.err).toContain('HTTP 404');
      const closed = await outageCli(['--control', 'http://127.0.0.1:1']);
      expect(closed.code).toBe(1);
      expect(closed.err).toMatch(/^ami sim outage: cannot reach http:\/\/127\.0\.0\.1:1/);
      expect(closed.err.trim().split('\n')).toHaveLength(1);
    });

    it.each([
      [['--minutes', '5']],
      [['--control', 'ftp://127.0.0.1:5']],
      [['--control', 'not a url']],
      [['--control', 'http://127.0.0.1:5', '--minutes', '0']],
      [['--control', 'http://127.0.0.1:5', '--minutes', '2000']],
      [['--control', 'http://127.0.0.1:5', '--bogus']],
      [['--control']],
    ])('exits 2 for %j', async (argv) => {
      const r = await outageCli(argv);
      expect(r.code).toBe(2);
      expect(r.err.trim().split('\n')).toHaveLength(1);
    });
  });
});
