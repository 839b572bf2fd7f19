/**
 * Producing like a third-party head-end: `produceWithKcat` writes keyed messages with kcat — a
 * librdkafka producer on its defaults, so keyed messages are placed by librdkafka's default
 * partitioner `consistent_random` (CRC-32 of the key), not the Java client's murmur2 — exactly as
 * `kcat -P -b <brokers> -t <topic> -K '|'` with one `key|value` line per message. kcat comes from
 * @ami/infra (`ensureKcat`: Debian's package, installed on first use when running as root).
 */
import { spawn } from 'node:child_process';
import { ensureKcat } from '@ami/infra';

export interface KeyedText {
  readonly key: string;
  readonly value: string;
}

/** The `key|value` lines kcat -K '|' reads (one message per line). */
function kcatInput(messages: readonly KeyedText[]): string {
  for (const m of messages) {
    if (m.key.includes('|') || /[\r\n]/.test(m.key) || /[\r\n]/.test(m.value)) {
      throw new Error(`kcat -K '|' cannot carry this message (key ${JSON.stringify(m.key)})`);
    }
  }
  return messages.map((m) => `${m.key}|${m.value}\n`).join('');
}

/**
 * Produces `messages` in order with `kcat -P -b <brokers> -t <topic> -K '|'` (no partitioner
 * option: librdkafka's default) and waits until kcat has flushed them and exited 0.
 */
export async function produceWithKcat(
  brokers: readonly string[],
  topic: string,
  messages: readonly KeyedText[],
): Promise<void> {
  const kcat = await ensureKcat({ log: (line) => process.stderr.write(`[kcat] ${line}\n`) });
  const args = ['-P', '-b', brokers.join(','), '-t', topic, '-K', '|'];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(kcat, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('error', reject);
    child.once('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`kcat ${args.join(' ')} exited with ${code ?? signal}: ${stderr.trim()}`));
    });
    child.stdin.end(kcatInput(messages));
  });
}
