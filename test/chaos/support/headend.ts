/**
 * The head-end of the chaos runs: produces the simulator's messages (in the simulator's order) to
 * the platform's topics at a steady rate, in small batches, each to the partition the platform's
 * partitioner names. A batch that fails (Kafka restarting) is sent again, with a new producer, until
 * it is accepted — at least once, as a real head-end would: a batch Kafka stored before the failure
 * arrives twice, which the platform must not count twice. The producer is not idempotent (a
 * head-end's is not either), and each batch is one produce request (50 small messages, far below
 * a record batch's 1 MB limit).
 */
import type { KafkaClients, KafkaProducer } from '@ami/shared/clients';
import { partitionForKey } from '@ami/shared/partitioner';

export interface OutboundMessage {
  readonly topic: string;
  readonly key: string;
  readonly value: string;
}

export interface StreamStats {
  /** Messages acknowledged (each once). */
  sent: number;
  /** Batches sent again after a failure. */
  resent: number;
  /** Wall time of the stream (ms). */
  ms: number;
}

export class HeadEnd {
  private producer: KafkaProducer | undefined;

  constructor(
    private readonly kafka: KafkaClients,
    private readonly partitions: ReadonlyMap<string, number>,
  ) {}

  /**
   * Sends `messages` in order at about `ratePerS`, `batchSize` per request; `onProgress` gets the
   * number acknowledged so far after every batch.
   */
  async stream(
    messages: readonly OutboundMessage[],
    opts: { ratePerS: number; batchSize?: number; onProgress?: (sent: number) => void },
  ): Promise<StreamStats> {
    const batchSize = opts.batchSize ?? 50;
    const stats: StreamStats = { sent: 0, resent: 0, ms: 0 };
    const t0 = Date.now();
    for (let i = 0; i < messages.length; i += batchSize) {
      const batch = messages.slice(i, i + batchSize);
      await this.sendUntilAccepted(batch, stats);
      stats.sent += batch.length;
      opts.onProgress?.(stats.sent);
      const dueMs = t0 + (stats.sent / opts.ratePerS) * 1000;
      const wait = dueMs - Date.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    stats.ms = Date.now() - t0;
    return stats;
  }

  async close(): Promise<void> {
    await this.producer?.close().catch(() => undefined);
    this.producer = undefined;
  }

  private async sendUntilAccepted(batch: readonly OutboundMessage[], stats: StreamStats): Promise<void> {
    const messages = batch.map((m) => {
      const n = this.partitions.get(m.topic);
      if (n === undefined) throw new Error(`no partition count for topic ${m.topic}`);
      return { topic: m.topic, key: m.key, value: m.value, partition: partitionForKey(m.key, n) };
    });
    for (let attempt = 0; ; attempt++) {
      try {
        // connects on its first send
        this.producer ??= this.kafka.producer({ idempotent: false });
        await this.producer.send({ messages });
        return;
      } catch (err) {
        if (attempt >= 600) throw err;
        stats.resent++;
        await this.close();
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }
}
