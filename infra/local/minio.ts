/**
 * Local MinIO (S3 API) built from source with `go install`, into <cacheDir>/bin.
 *
 * Why a Go pseudo-version: MinIO's release tags (RELEASE.2025-…Z) are not semantic versions, so
 * the Go module proxy refuses them ("This path is not available") and `go install
 * github.com/minio/minio@RELEASE.…` cannot work. A pseudo-version (v0.0.0-<UTC time>-<commit>)
 * names one exact commit and is the only way to pin MinIO for `go install`. To upgrade, pick a
 * commit on github.com/minio/minio and run `go list -m github.com/minio/minio@<commit>` to get
 * its pseudo-version, then change MINIO_VERSION (the only place it is pinned).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  HeadBucketCommand,
  type BucketLocationConstraint,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3 } from '@ami/shared/clients';
import type { AmiConfig } from '@ami/shared/config';
import { InfraError, errorMessage } from './errors.ts';
import { installLogOf, type InfraPaths } from './paths.ts';
import type { LaunchSpec } from './process.ts';
import type { InfraContext, LocalService } from './service.ts';
import { requireExecutable, runLogged } from './tools.ts';

export const MINIO_MODULE = 'github.com/minio/minio';
/** Commit 7aac2a2c5b7c of 2026-02-12 (see the module comment for why this is a pseudo-version). */
export const MINIO_VERSION = 'v0.0.0-20260212201848-7aac2a2c5b7c';

export function minioBinary(paths: InfraPaths): string {
  return join(paths.binDir, 'minio');
}

function stampFile(paths: InfraPaths): string {
  return join(paths.binDir, 'minio.version');
}

export interface MinioArgsInput {
  readonly dataDir: string;
  readonly port: number;
  readonly consolePort: number;
}

export function minioArgs(v: MinioArgsInput): string[] {
  return [
    'server',
    v.dataDir,
    '--address',
    `127.0.0.1:${v.port}`,
    '--console-address',
    `127.0.0.1:${v.consolePort}`,
  ];
}

/** MinIO's root credentials are the platform's S3 credentials. */
export function minioEnv(config: AmiConfig): Record<string, string> {
  return {
    MINIO_ROOT_USER: config.connection.s3AccessKeyId,
    MINIO_ROOT_PASSWORD: config.connection.s3SecretAccessKey,
  };
}

async function ensureBinary(ctx: InfraContext): Promise<string> {
  const bin = minioBinary(ctx.paths);
  const stamp = stampFile(ctx.paths);
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === MINIO_VERSION)
    return bin;
  const go = requireExecutable(
    'go',
    'install Go (https://go.dev/dl/) to build MinIO, or point S3_ENDPOINT at a running S3',
  );
  ctx.log(
    `building MinIO ${MINIO_VERSION} with go install into ${ctx.paths.binDir} (first run: a few minutes)`,
  );
  mkdirSync(ctx.paths.binDir, { recursive: true });
  await runLogged(go, ['install', `${MINIO_MODULE}@${MINIO_VERSION}`], {
    cwd: ctx.paths.cacheDir, // outside any Go module, so only the pinned version counts
    env: { GOBIN: ctx.paths.binDir },
    logFile: installLogOf(ctx.paths, 'minio'),
    what: `building MinIO (go install ${MINIO_MODULE}@${MINIO_VERSION})`,
  });
  if (!existsSync(bin)) throw new InfraError(`go install finished but ${bin} does not exist`);
  writeFileSync(stamp, `${MINIO_VERSION}\n`);
  return bin;
}

async function isLive(config: AmiConfig): Promise<boolean> {
  try {
    const res = await fetch(new URL('/minio/health/live', config.connection.s3Endpoint), {
      signal: AbortSignal.timeout(1_500),
    });
    return res.ok;
  } catch {
    return false;
  }
}

/** HTTP status of the S3 answer carried by an SDK error; undefined for network failures. */
function httpStatusOf(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

async function withS3<T>(config: AmiConfig, fn: (s3: S3Client) => Promise<T>): Promise<T> {
  const s3 = createS3(config);
  try {
    return await fn(s3);
  } finally {
    s3.destroy();
  }
}

/** Any answer of the S3 API (even 403/404) shows the endpoint is there. */
function answersS3(config: AmiConfig): Promise<boolean> {
  return withS3(config, async (s3) => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: config.connection.s3Bucket }), {
        abortSignal: AbortSignal.timeout(3_000),
      });
      return true;
    } catch (err) {
      return httpStatusOf(err) !== undefined;
    }
  });
}

async function ensureBucket(ctx: InfraContext): Promise<string> {
  const { s3Bucket: bucket, s3Region: region } = ctx.config.connection;
  return withS3(ctx.config, async (s3) => {
    try {
      await s3.send(new HeadBucketCommand({ Bucket: bucket }));
      return `bucket ${bucket}`;
    } catch (err) {
      const status = httpStatusOf(err);
      if (status !== 404) {
        throw new InfraError(
          `checking bucket ${bucket} failed (HTTP ${status ?? '-'}): ${errorMessage(err)}`,
        );
      }
    }
    try {
      await s3.send(
        new CreateBucketCommand({
          Bucket: bucket,
          ...(region === 'us-east-1'
            ? {}
            : { CreateBucketConfiguration: { LocationConstraint: region as BucketLocationConstraint } }),
        }),
      );
    } catch (err) {
      if ((err as Error).name !== 'BucketAlreadyOwnedByYou') {
        throw new InfraError(`creating bucket ${bucket} failed: ${errorMessage(err)}`);
      }
    }
    return `bucket ${bucket} (created)`;
  });
}

export const minioService: LocalService = {
  name: 'minio',
  address: (ctx) => ctx.config.connection.s3Endpoint,
  ports: (ctx) => [ctx.config.ports.minioPort, ctx.config.ports.minioConsolePort],
  markers: (ctx) => [minioBinary(ctx.paths), ctx.paths.minioDataDir],
  async prepare(ctx): Promise<LaunchSpec> {
    const bin = await ensureBinary(ctx);
    mkdirSync(ctx.paths.minioDataDir, { recursive: true });
    return {
      command: bin,
      args: minioArgs({
        dataDir: ctx.paths.minioDataDir,
        port: ctx.config.ports.minioPort,
        consolePort: ctx.config.ports.minioConsolePort,
      }),
      env: minioEnv(ctx.config),
      cwd: join(ctx.paths.minioDataDir, '..'),
    };
  },
  isHealthy: (ctx) => isLive(ctx.config),
  isReachable: (ctx) => answersS3(ctx.config),
  provision: ensureBucket,
  startTimeoutMs: 60_000,
  stopGraceMs: 15_000,
};
