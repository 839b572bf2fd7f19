/**
 * The three clients behind one small interface, each used the way its documentation recommends for
 * throughput (batch consumption, batched produce, no auto-commit), so the figures compare clients,
 * not our wrappers. Every function runs in the process that calls it: run.mjs starts one process per
 * measurement.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
export const CLIENTS = ['kafkajs', 'platformatic', 'confluent'];

/** Resolves when `onMessage` has been called `expected` times; `onMessage(value: Buffer)`. */
export async function consume(client, { topic, groupId, expected, onMessage, onReady }) {
  if (client === 'kafkajs') return consumeKafkajs({ topic, groupId, expected, onMessage, onReady });
  if (client === 'platformatic') return consumePlatformatic({ topic, groupId, expected, onMessage, onReady });
  if (client === 'confluent') return consumeConfluent({ topic, groupId, expected, onMessage, onReady });
  throw new Error(`unknown client ${client}`);
}

/** A producer: `send(topic, keys, values)` of one batch, `close()`. */
export async function producer(client) {
  if (client === 'kafkajs') return producerKafkajs();
  if (client === 'platformatic') return producerPlatformatic();
  if (client === 'confluent') return producerConfluent();
  throw new Error(`unknown client ${client}`);
}

function until(expected, onMessage) {
  let n = 0;
  let done;
  const finished = new Promise((r) => (done = r));
  return {
    finished,
    take(value) {
      onMessage(value);
      if (++n === expected) done();
      return n >= expected;
    },
  };
}

async function consumeKafkajs({ topic, groupId, expected, onMessage, onReady }) {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({
    groupId,
    maxBytes: 50 * 1024 * 1024,
    maxBytesPerPartition: 10 * 1024 * 1024,
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  const u = until(expected, onMessage);
  consumer.on(consumer.events.GROUP_JOIN, () => onReady?.());
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) if (u.take(m.value)) break;
      resolveOffset(batch.lastOffset());
    },
  });
  await u.finished;
  await consumer.disconnect();
}

async function consumePlatformatic({ topic, groupId, expected, onMessage, onReady }) {
  const { Consumer, MessagesStreamModes } = await import('@platformatic/kafka');
  const consumer = new Consumer({
    clientId: 'bench',
    groupId,
    bootstrapBrokers: brokers,
    maxBytes: Number(process.env.PLT_MAX_BYTES ?? 4 * 1024 * 1024),
    maxWaitTime: 100,
  });
  consumer.on('consumer:group:join', () => onReady?.());
  const stream = await consumer.consume({
    topics: [topic],
    mode: MessagesStreamModes.EARLIEST,
    autocommit: false,
  });
  const u = until(expected, onMessage);
  stream.on('data', (m) => u.take(m.value));
  await u.finished;
  await stream.close();
  await consumer.close(true);
}

async function consumeConfluent({ topic, groupId, expected, onMessage, onReady }) {
  const { KafkaJS } = require('@confluentinc/kafka-javascript');
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: KafkaJS.logLevel.ERROR } });
  const consumer = kafka.consumer({
    kafkaJS: { groupId, fromBeginning: true, autoCommit: false },
    'js.consumer.max.batch.size': Number(process.env.CK_BATCH ?? -1),
    'fetch.max.bytes': Number(process.env.CK_FETCH_MAX ?? 52428800),
    'max.partition.fetch.bytes': Number(process.env.CK_PART_MAX ?? 1048576),
    rebalance_cb: (err) => {
      if (err.code === -175 /* ERR__ASSIGN_PARTITIONS */) onReady?.();
    },
  });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic] });
  const u = until(expected, onMessage);
  await consumer.run({
    eachBatchAutoResolve: false,
    eachBatch: async ({ batch, resolveOffset }) => {
      for (const m of batch.messages) if (u.take(m.value)) break;
      resolveOffset(batch.lastOffset());
    },
  });
  await u.finished;
  await consumer.disconnect();
}

async function producerKafkajs() {
  const { Kafka, logLevel } = require('kafkajs');
  const kafka = new Kafka({ clientId: 'bench', brokers, logLevel: logLevel.ERROR });
  const p = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await p.connect();
  return {
    send: (topic, keys, values) =>
      p.send({ topic, acks: -1, messages: keys.map((key, i) => ({ key, value: values[i] })) }),
    close: () => p.disconnect(),
  };
}

async function producerPlatformatic() {
  const { Producer, stringSerializers } = await import('@platformatic/kafka');
  const p = new Producer({
    clientId: 'bench',
    bootstrapBrokers: brokers,
    serializers: stringSerializers,
    idempotent: true,
  });
  return {
    send: (topic, keys, values) =>
      p.send({ messages: keys.map((key, i) => ({ topic, key, value: values[i] })) }),
    close: () => p.close(),
  };
}

async function producerConfluent() {
  const { KafkaJS } = require('@confluentinc/kafka-javascript');
  const kafka = new KafkaJS.Kafka({ kafkaJS: { brokers, logLevel: KafkaJS.logLevel.ERROR } });
  const p = kafka.producer({ kafkaJS: { idempotent: true }, 'linger.ms': 5, 'batch.num.messages': 10000 });
  await p.connect();
  return {
    send: (topic, keys, values) =>
      p.send({ topic, messages: keys.map((key, i) => ({ key, value: values[i] })) }),
    close: () => p.disconnect(),
  };
}
