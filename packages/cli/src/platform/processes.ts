/**
 * The platform's long-running processes (speed layer, archiver, batch worker with its schedulers,
 * API) as supervisor specs, and the readiness probe of each. One place for both `pnpm ami up` and
 * the end-to-end test, so the test starts exactly what a user starts.
 */
import { ARCHIVER_MAIN, BATCH_WORKER_MAIN } from '@ami/batch-layer';
import type { ProcessSpec } from './supervisor.ts';

export const PLATFORM_ENTRIES = {
  'speed-layer': 'packages/speed-layer/src/main.ts',
  archiver: ARCHIVER_MAIN,
  'batch-worker': BATCH_WORKER_MAIN,
  api: 'packages/serving-layer/src/main.ts',
  simulator: 'packages/simulator/src/main.ts',
} as const;

export type PlatformProcess = Exclude<keyof typeof PLATFORM_ENTRIES, 'simulator'>;

export interface PlatformPorts {
  readonly api: number;
  readonly speedMetrics: number;
  readonly archiverMetrics: number;
  readonly batchMetrics: number;
}

export interface PlatformProcessOptions {
  readonly ports: PlatformPorts;
  /** JSONL topology the speed layer and the batch worker read (AMI_TOPOLOGY_FILE). */
  readonly topologyFile: string;
  /** AMI_API_KEYS (hashes only) and the pseudonym secret the API needs. */
  readonly apiKeysJson: string;
  readonly pseudonymSecret: string;
}

/** Environment the platform processes get beyond the caller's (which wins for anything it sets). */
export function platformEnv(o: PlatformProcessOptions): Record<string, string> {
  return {
    AMI_TOPOLOGY_FILE: o.topologyFile,
    API_PORT: String(o.ports.api),
    AMI_SPEED_METRICS_PORT: String(o.ports.speedMetrics),
    AMI_ARCHIVER_METRICS_PORT: String(o.ports.archiverMetrics),
    AMI_BATCH_METRICS_PORT: String(o.ports.batchMetrics),
    AMI_API_KEYS: o.apiKeysJson,
    AMI_API_PSEUDONYM_SECRET: o.pseudonymSecret,
  };
}

/** Specs in start order: consumers first, then the worker, then the API. */
export function platformProcesses(o: PlatformProcessOptions): (ProcessSpec & { name: PlatformProcess })[] {
  const env = platformEnv(o);
  return (['speed-layer', 'archiver', 'batch-worker', 'api'] as const).map((name) => ({
    name,
    entry: PLATFORM_ENTRIES[name],
    env,
  }));
}

/** URL that answers 200 once the process is ready. */
export function readinessUrl(name: PlatformProcess, ports: PlatformPorts): string {
  switch (name) {
    case 'speed-layer':
      return `http://127.0.0.1:${ports.speedMetrics}/healthz`;
    case 'archiver':
      return `http://127.0.0.1:${ports.archiverMetrics}/healthz`;
    case 'batch-worker':
      return `http://127.0.0.1:${ports.batchMetrics}/healthz`;
    case 'api':
      return `http://127.0.0.1:${ports.api}/readyz`;
  }
}

/** Waits until `url` answers 200 (polling); throws after `timeoutMs` naming the url and `hint`. */
export async function waitForHttp(
  url: string,
  opts: { timeoutMs: number; hint?: string; alive?: () => boolean },
): Promise<void> {
  const deadline = Date.now() + opts.timeoutMs;
  let last: string;
  for (;;) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await res.body?.cancel();
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (opts.alive && !opts.alive())
      throw new Error(`${url}: the process exited${opts.hint ? ` (${opts.hint})` : ''}`);
    if (Date.now() > deadline)
      throw new Error(
        `${url} not ready after ${opts.timeoutMs / 1000} s (${last})${opts.hint ? `; ${opts.hint}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 500));
  }
}
