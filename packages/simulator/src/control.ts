/**
 * The live simulator's control server on 127.0.0.1 (`--control-port`): `POST /faults/outage` takes
 * a transformer down now, `GET /status` reports the simulated clock and counts. Schemas in
 * control-api.ts; JSON errors `{"error","message"}` (400 bad input, 404 unknown transformer or
 * path, 409 already out or simulation ended, 405 wrong method).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { formatIsoOffset } from '@ami/shared/time';
import {
  DEFAULT_OUTAGE_MINUTES,
  OutageRequestSchema,
  type ControlError,
  type OutageResponse,
  type SimStatus,
} from './control-api.ts';
import type { LiveStatus } from './live.ts';
import type { InjectedOutage } from './simulator.ts';

/** What the server controls (a LiveRun). */
export interface ControlTarget {
  status(): LiveStatus;
  injectOutage(transformerId: string | undefined, minutes: number): InjectedOutage;
}

export interface ControlServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 64 * 1024;
const checkOutageRequest = TypeCompiler.Compile(OutageRequestSchema);

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    message: string,
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body) + '\n');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const b = chunk as Buffer;
    size += b.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(400, 'BadRequest', 'body larger than 64 KiB');
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses and checks an outage request body (empty = all defaults). */
export function parseOutageRequest(text: string): { transformerId: string | undefined; minutes: number } {
  let body: unknown = {};
  if (text.trim() !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      throw new HttpError(400, 'BadRequest', 'the body is not JSON');
    }
  }
  if (!checkOutageRequest.Check(body)) {
    const first = checkOutageRequest.Errors(body).First();
    const where = first === undefined || first.path === '' ? 'body' : first.path.slice(1);
    throw new HttpError(400, 'BadRequest', `${where}: ${first?.message ?? 'invalid'}`);
  }
  return { transformerId: body.transformer_id, minutes: body.minutes ?? DEFAULT_OUTAGE_MINUTES };
}

export function statusBody(s: LiveStatus, timeZone: string): SimStatus {
  return {
    sim_clock: formatIsoOffset(Math.floor(s.simClockMs), timeZone),
    reads: s.reads,
    events: s.events,
    lag_s: Math.round(s.lagMs / 100) / 10,
  };
}

export function outageBody(o: Extract<InjectedOutage, { ok: true }>, timeZone: string): OutageResponse {
  return {
    transformer_id: o.transformerId,
    meter_ids: [...o.meterIds],
    from: formatIsoOffset(Math.floor(o.fromMs), timeZone),
    to: formatIsoOffset(Math.floor(o.toMs), timeZone),
    first_interval_start: o.firstSlot.startIso,
    intervals: o.intervals,
  };
}

const OUTAGE_ERROR_STATUS = {
  unknown_transformer: [404, 'NotFound'],
  already_out: [409, 'Conflict'],
  ended: [409, 'Conflict'],
} as const;

async function handle(
  req: IncomingMessage,
  res: ServerResponse,
  target: ControlTarget,
  timeZone: string,
): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/faults/outage') {
    if (req.method !== 'POST') throw new HttpError(405, 'MethodNotAllowed', 'use POST /faults/outage');
    const { transformerId, minutes } = parseOutageRequest(await readBody(req));
    const result = target.injectOutage(transformerId, minutes);
    if (!result.ok) {
      const [status, error] = OUTAGE_ERROR_STATUS[result.error];
      throw new HttpError(status, error, result.message);
    }
    send(res, 202, outageBody(result, timeZone));
    return;
  }
  if (path === '/status') {
    if (req.method !== 'GET') throw new HttpError(405, 'MethodNotAllowed', 'use GET /status');
    send(res, 200, statusBody(target.status(), timeZone));
    return;
  }
  throw new HttpError(404, 'NotFound', 'only POST /faults/outage and GET /status are served here');
}

/** Serves the control API on 127.0.0.1:port (0 = any free port). */
export async function startControlServer(
  target: ControlTarget,
  port: number,
  timeZone: string,
): Promise<ControlServer> {
  const server = createServer((req, res) => {
    handle(req, res, target, timeZone).catch((err: unknown) => {
      const e =
        err instanceof HttpError
          ? err
          : new HttpError(500, 'InternalError', err instanceof Error ? err.message : String(err));
      const body: ControlError = { error: e.error, message: e.message };
      if (!res.headersSent) send(res, e.status, body);
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const bound = typeof addr === 'object' && addr !== null ? addr.port : port;
  return {
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
