/**
 * `pnpm ami up`: starts the platform on local infrastructure. Today that is the infrastructure
 * (Kafka, Redis, MinIO with topics and bucket); the speed, batch and serving layers join this
 * command as they land (issue 7 makes it the one-command platform with a streaming fleet).
 */
import { ensureInfra } from '@ami/infra';

const HELP = `usage: pnpm ami up

Provisions (first run: installs) and starts Kafka, Redis and MinIO on 127.0.0.1, creates the
topics and the bucket, waits until they are healthy and prints the connection settings.
The services keep running in the background: \`pnpm ami infra status\`, \`pnpm ami infra down\`.
Services named by KAFKA_BROKERS / REDIS_URL / S3_ENDPOINT are used instead of local ones.`;

export async function runUp(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (argv.length > 0) {
    process.stderr.write(`ami up: unexpected argument "${argv[0]}" (see pnpm ami up --help)\n`);
    return 2;
  }
  const t0 = Date.now();
  const env = await ensureInfra({ log: (line) => process.stderr.write(`${line}\n`) });
  process.stdout.write(
    `\nAMI platform infrastructure is up (${((Date.now() - t0) / 1000).toFixed(1)} s):\n\n`,
  );
  for (const [k, v] of Object.entries(env)) process.stdout.write(`  ${k}=${v}\n`);
  process.stdout.write(
    `\nMinIO console: http://127.0.0.1:${process.env.AMI_MINIO_CONSOLE_PORT ?? '9001'}  ` +
      `(user ${env.S3_ACCESS_KEY_ID ?? ''})\n` +
      'Next: `pnpm ami sim --help` to stream a simulated fleet, `pnpm ami infra status`, `pnpm ami infra down`.\n',
  );
  return 0;
}
