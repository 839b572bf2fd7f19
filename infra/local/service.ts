/**
 * What every local service module (kafka.ts, redis.ts, minio.ts) provides to the orchestrator,
 * and the shared start-up helpers: port-in-use check and wait-for-health.
 */
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AmiConfig } from '@ami/shared/config';
import { InfraError } from './errors.ts';
import { indent, readLogTail } from './logs.ts';
import type { InfraPaths, ServiceName } from './paths.ts';
import type { LaunchSpec } from './process.ts';
import { isAlive } from './procfs.ts';

export interface InfraContext {
  readonly config: AmiConfig;
  readonly paths: InfraPaths;
  readonly log: (line: string) => void;
}

export interface LocalService {
  readonly name: ServiceName;
  /** host:port (or URL) of the configured endpoint: the local service, or the external one. */
  address(ctx: InfraContext): string;
  /** Loopback ports the local service listens on; they must be free before it starts. */
  ports(ctx: InfraContext): readonly number[];
  /** Arguments that identify the process we started in /proc/<pid>/cmdline. */
  markers(ctx: InfraContext): readonly string[];
  /** Installs what is missing, writes config and data dirs; fast when everything is cached. */
  prepare(ctx: InfraContext): Promise<LaunchSpec>;
  /** One health probe of the local service, with a short timeout. */
  isHealthy(ctx: InfraContext): Promise<boolean>;
  /** One probe that the configured (external) endpoint answers. */
  isReachable(ctx: InfraContext): Promise<boolean>;
  /** Creates this service's resources (topics, bucket) if missing; returns a one-line summary. */
  provision(ctx: InfraContext): Promise<string>;
  readonly startTimeoutMs: number;
  readonly stopGraceMs: number;
}

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(port: number, host = '127.0.0.1', timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export interface WaitOptions {
  readonly service: ServiceName;
  readonly timeoutMs: number;
  /** The process being waited for: its death ends the wait at once. */
  readonly pid: number;
  readonly logFile: string;
  readonly intervalMs?: number;
}

/** Polls `probe` until it succeeds; an early exit or a timeout is an error quoting the log's tail. */
export async function waitUntilHealthy(probe: () => Promise<boolean>, opts: WaitOptions): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (await probe()) return;
    const failure = !isAlive(opts.pid)
      ? `${opts.service} (pid ${opts.pid}) exited during start-up`
      : Date.now() - started >= opts.timeoutMs
        ? `${opts.service} (pid ${opts.pid}) did not become healthy within ${Math.round(opts.timeoutMs / 1000)} s`
        : null;
    if (failure !== null) {
      const tail = readLogTail(opts.logFile, 30);
      throw new InfraError(
        `${failure}. ${tail.length > 0 ? `Last lines of ${opts.logFile}:\n${indent(tail)}` : `${opts.logFile} is empty.`}`,
      );
    }
    await sleep(opts.intervalMs ?? 500);
  }
}

/** Polls `probe` for an external endpoint (no process, no log). */
export async function waitUntilReachable(probe: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probe()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(500);
  }
}
