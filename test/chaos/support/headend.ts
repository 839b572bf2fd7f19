/**
 * The head-end of the chaos runs: produces the simulator's messages (in the simulator's order) to
 * the platform's topics at a steady rate, in small batches, each to the partition the platform's
 * partitioner names. A batch that fails (Kafka restarting) is sent again, with a new producer, until
 * it is accepted — at least once, as a real head-end would: a batch Kafka stored before the failure
 * arrives twice, which the platform must not count twice.
 */
import type { Kafka, Producer } from 'kafkajs';
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
  private producer: Producer | undefined;

  constructor(
    private readonly kafka: Kafka,
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
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private async sendUntilAccepted(batch: readonly OutboundMessage[], stats: StreamStats): Promise<void> {
    const byTopic = new Map<string, { key: string; value: string; partition: number }[]>();
    for (const m of batch) {
      const n = this.partitions.get(m.topic);
      if (n === undefined) throw new Error(`no partition count for topic ${m.topic}`);
      const list = byTopic.get(m.topic) ?? [];
      list.push({ key: m.key, value: m.value, partition: partitionForKey(m.key, n) });
      byTopic.set(m.topic, list);
    }
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.producer === undefined) {
          const p = this.kafka.producer({ allowAutoTopicCreation: false, retry: { retries: 3 } });
          await p.connect();
          this.producer = p;
        }
        await this.producer.sendBatch({
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        });
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
