/**
 * A minimal Kafka producer for the simulator's bulk path: keyed, uncompressed Produce v3 requests
 * built directly into buffers (see record-batch.ts), one connection per partition leader, partition
 * by Kafka's murmur2 of the key. kafkajs stays the platform's client (and does the metadata here);
 * this exists because kafkajs measured ~55–70 k messages/s on the 2-core machine (README, bench).
 * No retries: a failed request fails the run.
 */
import type { Kafka } from 'kafkajs';
import { BrokerConnection } from './connection.ts';
import { partitionForKey as partitionOf } from '@ami/shared/partitioner';
import { decodeProduceResponse, encodeProduceRequest, type PartitionRecords } from './record-batch.ts';

/** Upper bound of one RecordBatch (the broker's default message.max.bytes is 1 MiB + 12). */
const MAX_BATCH_BYTES = 900_000;

export interface TopicLayout {
  readonly partitions: number;
  /** Leader node id of each partition. */
  readonly leaders: readonly number[];
}

export class WireProducer {
  private correlationId = 0;
  private readonly partitionCache = new Map<string, number>();

  private constructor(
    private readonly clientId: string,
    private readonly acks: number,
    private readonly layouts: ReadonlyMap<string, TopicLayout>,
    private readonly connections: ReadonlyMap<number, BrokerConnection>,
  ) {}

  /** Reads the cluster and topic metadata with kafkajs and connects to every leader. */
  static async open(
    kafka: Kafka,
    topics: readonly string[],
    acks: -1 | 1,
    clientId = 'ami-simulator',
  ): Promise<WireProducer> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const cluster = await admin.describeCluster();
      const meta = await admin.fetchTopicMetadata({ topics: [...topics] });
      const layouts = new Map<string, TopicLayout>();
      const needed = new Set<number>();
      for (const t of meta.topics) {
        const parts = [...t.partitions].sort((a, b) => a.partitionId - b.partitionId);
        const leaders = parts.map((p) => p.leader);
        leaders.forEach((l) => needed.add(l));
        layouts.set(t.name, { partitions: parts.length, leaders });
      }
      const connections = new Map<number, BrokerConnection>();
      for (const nodeId of needed) {
        const b = cluster.brokers.find((x) => x.nodeId === nodeId);
        if (b === undefined) throw new Error(`no address for broker ${nodeId}`);
        connections.set(nodeId, await BrokerConnection.connect(b.host, b.port));
      }
      return new WireProducer(clientId, acks, layouts, connections);
    } finally {
      await admin.disconnect();
    }
  }

  /** Produces the messages (keys[i], values[i]) to `topic`, one request per leader. */
  async send(topic: string, keys: readonly string[], values: readonly string[]): Promise<void> {
    const layout = this.layouts.get(topic);
    if (layout === undefined) throw new Error(`topic ${topic} was not opened`);
    const byPartition: { keys: string[]; values: string[] }[] = Array.from(
      { length: layout.partitions },
      () => ({
        keys: [],
        values: [],
      }),
    );
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] ?? '';
      let p = this.partitionCache.get(key);
      if (p === undefined) {
        p = partitionOf(key, layout.partitions);
        if (this.partitionCache.size < 10_000_000) this.partitionCache.set(key, p);
      }
      const slot = byPartition[p];
      slot?.keys.push(key);
      slot?.values.push(values[i] ?? '');
    }
    // A broker takes one RecordBatch per partition and request, of at most message.max.bytes
    // (1 MiB by default): split each partition's records into chunks, one request per chunk round.
    const rounds: Map<number, PartitionRecords[]>[] = [];
    byPartition.forEach((r, partition) => {
      const leader = layout.leaders[partition] ?? -1;
      let from = 0;
      let round = 0;
      while (from < r.keys.length) {
        let to = from;
        let bytes = 0;
        while (to < r.keys.length && (to === from || bytes < MAX_BATCH_BYTES)) {
          bytes += (r.keys[to]?.length ?? 0) + (r.values[to]?.length ?? 0) + 12;
          to++;
        }
        const perLeader = (rounds[round] ??= new Map<number, PartitionRecords[]>());
        const list = perLeader.get(leader) ?? [];
        list.push({ partition, keys: r.keys.slice(from, to), values: r.values.slice(from, to) });
        perLeader.set(leader, list);
        from = to;
        round++;
      }
    });
    await Promise.all(
      rounds.flatMap((perLeader) =>
        [...perLeader].map(([leader, partitions]) => this.request(leader, topic, partitions)),
      ),
    );
  }

  private async request(leader: number, topic: string, partitions: PartitionRecords[]): Promise<void> {
    const conn = this.connections.get(leader);
    if (conn === undefined) throw new Error(`no connection to broker ${leader}`);
    const id = (this.correlationId = (this.correlationId + 1) & 0x7fffffff);
    const frame = encodeProduceRequest(
      id,
      this.clientId,
      this.acks,
      30_000,
      [{ topic, partitions }],
      Date.now(),
    );
    const results = decodeProduceResponse(await conn.request(frame, id));
    const bad = results.find((r) => r.errorCode !== 0);
    if (bad !== undefined) {
      throw new Error(
        `produce to ${bad.topic}/${bad.partition} failed with Kafka error code ${bad.errorCode}`,
      );
    }
  }

  close(): void {
    for (const c of this.connections.values()) c.close();
  }
}
