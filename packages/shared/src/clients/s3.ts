/**
 * S3 client factory (@aws-sdk/client-s3), path-style so it works with MinIO and other
 * S3-compatible servers as well as AWS.
 */
import { S3Client } from '@aws-sdk/client-s3';
import type { AmiConfig } from '../config/index.ts';

// The SDK prints a multi-line notice on every process start under Node 20; the platform's
// supported Node range is in package.json#engines.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function createS3(config: AmiConfig): S3Client {
  const c = config.connection;
  return new S3Client({
    endpoint: c.s3Endpoint,
    region: c.s3Region,
    forcePathStyle: true,
    credentials: { accessKeyId: c.s3AccessKeyId, secretAccessKey: c.s3SecretAccessKey },
    maxAttempts: 5,
  });
}
