/**
 * A second, private local instance of Kafka, Redis and MinIO next to the shared one: its own cache
 * dir (data, logs, pid files) and its own ports, so a test may stop and restart services (the chaos
 * suite) without touching the instance every other test and tool uses. The installed binaries
 * (Kafka jars, MinIO) are linked from another cache dir instead of being resolved or built again.
 *
 * Use: `env = privateInstanceEnv(dir, ports)`, `shareInstalledTools(defaultCacheDir, dir)`, then
 * `infraUp({ env })`, `infraDown({ env, services })` (infra.ts) with that env.
 */
import { existsSync, lstatSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { kafkaLayout, kafkaVersionFromPom } from './kafka.ts';
import { minioBinary } from './minio.ts';
import { infraPaths, sourceFiles } from './paths.ts';

export interface PrivatePorts {
  readonly kafka: number;
  readonly kafkaController: number;
  readonly redis: number;
  readonly minio: number;
  readonly minioConsole: number;
}

/**
 * The settings of a private instance: its cache dir and ports, and the connection settings that
 * point at it (so every client and platform process given this env uses the private services).
 */
export function privateInstanceEnv(cacheDir: string, ports: PrivatePorts): Record<string, string> {
  const all = Object.values(ports);
  if (new Set(all).size !== all.length)
    throw new RangeError(`private instance ports must differ: ${all.join(', ')}`);
  for (const p of all) if (!Number.isInteger(p) || p < 1 || p > 65_535) throw new RangeError(`bad port ${p}`);
  return {
    AMI_CACHE_DIR: resolve(cacheDir),
    AMI_KAFKA_PORT: String(ports.kafka),
    AMI_KAFKA_CONTROLLER_PORT: String(ports.kafkaController),
    AMI_REDIS_PORT: String(ports.redis),
    AMI_MINIO_PORT: String(ports.minio),
    AMI_MINIO_CONSOLE_PORT: String(ports.minioConsole),
    KAFKA_BROKERS: `127.0.0.1:${ports.kafka}`,
    REDIS_URL: `redis://127.0.0.1:${ports.redis}`,
    S3_ENDPOINT: `http://127.0.0.1:${ports.minio}`,
  };
}

/** Linux's range of ephemeral ports: outgoing connections take their local port from it. */
export const EPHEMERAL_RANGE_FILE = '/proc/sys/net/ipv4/ip_local_port_range';

export function parsePortRange(text: string): [number, number] | null {
  const m = /^\s*(\d+)\s+(\d+)\s*$/.exec(text);
  if (!m) return null;
  const lo = Number(m[1]);
  const hi = Number(m[2]);
  return lo >= 1 && hi <= 65_535 && lo <= hi ? [lo, hi] : null;
}

function ephemeralRange(): [number, number] {
  try {
    return parsePortRange(readFileSync(EPHEMERAL_RANGE_FILE, 'utf8')) ?? [32_768, 60_999];
  } catch {
    return [32_768, 60_999];
  }
}

/** Ports a private instance may use: the larger side of 10000–65535 outside the ephemeral range. */
export function privatePortRange(ephemeral: readonly [number, number]): [number, number] {
  const below: [number, number] = [10_000, ephemeral[0] - 1];
  const above: [number, number] = [ephemeral[1] + 1, 65_535];
  return below[1] - below[0] >= above[1] - above[0] ? below : above;
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/**
 * `count` distinct ports free on 127.0.0.1 now, outside the ephemeral range. A server that is
 * restarted while its clients reconnect must not listen on an ephemeral port: a reconnecting
 * client may be given that very port as its own local port and connect to itself (TCP
 * self-connect), holding the port so the server cannot come back.
 */
export async function freePrivatePorts(count: number, random: () => number = Math.random): Promise<number[]> {
  const [lo, hi] = privatePortRange(ephemeralRange());
  const out: number[] = [];
  for (let tries = 0; out.length < count; tries++) {
    if (tries > 10_000) throw new Error(`no ${count} free ports between ${lo} and ${hi}`);
    const port = lo + Math.floor(random() * (hi - lo + 1));
    if (!out.includes(port) && (await canListen(port))) out.push(port);
  }
  return out;
}

/**
 * Links the MinIO binary (with its version stamp) and the resolved Kafka jars of `fromCacheDir`
 * into `toCacheDir`, where `infraUp` looks for them; returns the paths linked. Anything missing in
 * `fromCacheDir`, or already present in `toCacheDir`, is left alone (`infraUp` then installs it the
 * usual way). Data, logs and pid files are never shared.
 */
export function shareInstalledTools(fromCacheDir: string, toCacheDir: string): string[] {
  const from = infraPaths(fromCacheDir);
  const to = infraPaths(toCacheDir);
  if (from.cacheDir === to.cacheDir) return [];
  const version = kafkaVersionFromPom(readFileSync(sourceFiles.kafkaPom, 'utf8'));
  const kafkaFrom = kafkaLayout(from, version);
  // Only complete installations: a binary with its version stamp, jars with their resolution stamp.
  const groups: { readonly complete: string; readonly links: [string, string][] }[] = [
    {
      complete: join(from.binDir, 'minio.version'),
      links: [
        [minioBinary(from), minioBinary(to)],
        [join(from.binDir, 'minio.version'), join(to.binDir, 'minio.version')],
      ],
    },
    { complete: kafkaFrom.stampFile, links: [[kafkaFrom.libsDir, kafkaLayout(to, version).libsDir]] },
  ];
  const linked: string[] = [];
  for (const g of groups) {
    if (!existsSync(g.complete) || !g.links.every(([source]) => existsSync(source))) continue;
    if (g.links.some(([, target]) => exists(target))) continue;
    for (const [source, target] of g.links) {
      mkdirSync(dirname(target), { recursive: true });
      symlinkSync(source, target);
      linked.push(target);
    }
  }
  return linked;
}

/** Like existsSync, but true for a dangling symlink too (it must not be linked over). */
function exists(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}
