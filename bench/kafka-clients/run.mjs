/**
 * Kafka client comparison for ADR 0010 — every figure of every client from one run on one machine:
 *   1. consume, count only, the whole pre-filled reads topic (≥ 5 M simulator reads)
 *   2. consume + JSON.parse of every value, the same topic
 *   3. batched produce of 1 M simulator-format reads (idempotent, acks=all) into a fresh topic
 *   4. produce→consume latency at 20,000 msg/s for 30 s (producer and consumer in two processes)
 * Each measurement is its own process (child.mjs); the runner only creates topics and collects.
 *
 *   node run.mjs --topic ami.bench.clients.reads [--clients kafkajs,platformatic,confluent] [--quick]
 * Writes ../results/kafka-clients.json.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { CLIENTS } from './lib/clients.mjs';

const require = createRequire(import.meta.url);
const { values: opts } = parseArgs({
  options: {
    topic: { type: 'string', default: 'ami.bench.clients.reads' },
    clients: { type: 'string', default: CLIENTS.join(',') },
    quick: { type: 'boolean', default: false },
  },
});
const clients = opts.clients.split(',');
const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const { Kafka, logLevel } = require('kafkajs');
const admin = new Kafka({ clientId: 'bench-runner', brokers, logLevel: logLevel.ERROR }).admin();
await admin.connect();

const countOf = async (topic) =>
  (await admin.fetchTopicOffsets(topic)).reduce((s, o) => s + Number(o.high) - Number(o.low), 0);

function child(args, { onStderr } = {}) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['child.mjs', ...args.map(String)], { cwd: import.meta.dirname });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => {
      stderr += d;
      onStderr?.(String(d));
    });
    p.on('exit', (code) => {
      if (code !== 0)
        return reject(new Error(`child ${args.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      resolve(JSON.parse(stdout.trim().split('\n').pop()));
    });
  });
}

async function freshTopic(name, partitions) {
  await admin.createTopics({
    topics: [{ topic: name, numPartitions: partitions, replicationFactor: 1 }],
    waitForLeaders: true,
  });
  return name;
}

const results = {
  at: new Date().toISOString(),
  node: process.version,
  machine: `${cpus().length}x ${cpus()[0]?.model}, ${Math.round(totalmem() / 2 ** 30)} GiB`,
  runs: [],
};
const record = (r) => {
  results.runs.push(r);
  process.stderr.write(`${JSON.stringify({ ...r, rssMiB: undefined })}\n`);
};

const total = await countOf(opts.topic);
const consumeN = opts.quick ? Math.min(total, 500_000) : total;
process.stderr.write(`topic ${opts.topic}: ${total} messages; consuming ${consumeN}\n`);
results.consumeTopic = opts.topic;
results.consumeMessages = consumeN;

for (const how of ['count', 'decode'])
  for (const c of clients) record(await child(['consume', c, how, opts.topic, consumeN]));

const produceN = opts.quick ? 200_000 : 1_000_000;
for (const c of clients) {
  for (const [batch, inFlight] of [
    [10_000, 1],
    [10_000, 4],
  ]) {
    const topic = await freshTopic(`ami.bench.clients.produce.${c}.${inFlight}.${Date.now()}`, 6);
    const r = await child(['produce', c, topic, produceN, batch, inFlight]);
    const stored = await countOf(topic);
    if (stored !== produceN) throw new Error(`${c}: topic holds ${stored} of ${produceN}`);
    record(r);
    await admin.deleteTopics({ topics: [topic] });
  }
}

const rate = 20_000;
const seconds = opts.quick ? 10 : 30;
for (const c of clients) {
  const topic = await freshTopic(`ami.bench.clients.latency.${c}.${Date.now()}`, 6);
  let ready;
  const isReady = new Promise((r) => (ready = r));
  const consumer = child(['latency-consume', c, topic, rate * seconds], {
    onStderr: (s) => s.includes('ready') && ready(),
  });
  await Promise.race([isReady, consumer]);
  await new Promise((r) => setTimeout(r, 2000));
  const producer = await child(['latency-produce', c, topic, rate, seconds]);
  record({ ...(await consumer), producerMaxRssMiB: producer.maxRssMiB });
  await admin.deleteTopics({ topics: [topic] });
}

await admin.disconnect();
const out = new URL('../results/kafka-clients.json', import.meta.url);
writeFileSync(out, JSON.stringify(results, null, 1) + '\n');
process.stderr.write(`wrote ${out.pathname}\n`);
