/**
 * What the batch layer has published, for retention, read from the batch layer's catalog (the HEAD
 * snapshot in S3, via the shared CatalogReader, which re-checks HEAD at most every
 * AMI_CATALOG_REFRESH_MS): the watermark and the published days (`PinnedCatalog.publishedDays()`,
 * the rule every layer shares), so a day is covered when THAT day is published.
 * No catalog yet (nothing published) or S3 unreachable → null: retention then only applies the
 * hard cap, which is the safe direction (keep provisional data longer, bounded by the cap).
 */
import { join } from 'node:path';
import { S3ObjectCache, createS3 } from '@ami/shared/clients';
import { CatalogReader, catalogSettings } from '@ami/shared/catalog';
import { readSettings, type AmiConfig, type Env } from '@ami/shared/config';
import type { Logger } from '@ami/shared/log';
import type { BatchWatermarkSource } from './sweep.ts';

export function catalogBatchWatermark(
  config: AmiConfig,
  logger: Logger,
  env: Env = process.env,
): BatchWatermarkSource {
  const settings = readSettings(catalogSettings, env);
  const s3 = createS3(config);
  const bucket = config.connection.s3Bucket;
  // The speed layer reads only the catalog JSON, never view files: a small cache is enough.
  const cache = new S3ObjectCache({
    s3,
    bucket,
    dir: join(config.runtime.cacheDir, 's3-cache-speed'),
    maxBytes: 16 * 1024 ** 2,
  });
  const reader = new CatalogReader({
    s3,
    bucket,
    prefix: settings.prefix,
    cache,
    refreshMs: settings.refreshMs,
  });
  let warned = false;
  return async () => {
    try {
      const pinned = await reader.pin();
      try {
        warned = false;
        const published = pinned.publishedDays();
        return { watermarkMs: pinned.watermarkMs, isBatchDay: published.isBatchDay };
      } finally {
        pinned.release();
      }
    } catch (err) {
      if (!warned)
        logger.info(
          { err: err instanceof Error ? err.message : String(err) },
          'no batch watermark yet (catalog not readable): retention applies the hard cap only',
        );
      warned = true;
      return null;
    }
  };
}
