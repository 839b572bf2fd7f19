/**
 * One measurement in its own process (run.mjs starts it and reads one JSON line from stdout):
 *   node child.mjs consume <client> count|decode <topic> <expected>
 *   node child.mjs produce <client> <topic> <n> <batch> <inFlight>
 *   node child.mjs latency-consume <client> <topic> <expected>   (prints "ready" to stderr when assigned)
 *   node child.mjs latency-produce <client> <topic> <rate> <seconds>
 * Memory: peak RSS (maxRSS) of the process, sampled RSS every second.
 */
import { consume, producer } from './lib/clients.mjs';
import { readMessages } from './lib/messages.mjs';

const [mode, client, ...args] = process.argv.slice(2);
const rss = [];
const sampler = setInterval(() => rss.push(Math.round(process.memoryUsage.rss() / 2 ** 20)), 1000);
const out = (o) => {
  clearInterval(sampler);
  const maxRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  process.stdout.write(JSON.stringify({ mode, client, ...o, maxRssMiB, rssMiB: rss }) + '\n');
  process.exit(0);
};

if (mode === 'consume') {
  const [how, topic, expectedText] = args;
  const expected = Number(expectedText);
  let first = 0;
  let bytes = 0;
  let kwh = 0;
  const t0 = performance.now();
  const onMessage =
    how === 'decode'
      ? (v) => {
          if (first === 0) first = performance.now();
          bytes += v.length;
          kwh += JSON.parse(v.toString()).consumption_kwh;
        }
      : (v) => {
          if (first === 0) first = performance.now();
          bytes += v.length;
        };
  await consume(client, { topic, groupId: `bench-${client}-${how}-${process.pid}`, expected, onMessage });
  const t1 = performance.now();
  out({
    how,
    messages: expected,
    bytes,
    checksum: Math.round(kwh),
    startupS: (first - t0) / 1000,
    seconds: (t1 - first) / 1000,
    perSecond: Math.round(expected / ((t1 - first) / 1000)),
  });
} else if (mode === 'produce') {
  const [topic, nText, batchText, inFlightText] = args;
  const n = Number(nText);
  const batch = Number(batchText);
  const inFlight = Number(inFlightText);
  const { keys, values } = readMessages(n);
  const p = await producer(client);
  const t0 = performance.now();
  const pending = new Set();
  for (let i = 0; i < n; i += batch) {
    const sent = p.send(topic, keys.slice(i, i + batch), values.slice(i, i + batch));
    pending.add(sent);
    sent.finally(() => pending.delete(sent));
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
  const t1 = performance.now();
  await p.close();
  out({
    topic,
    messages: n,
    batch,
    inFlight,
    seconds: (t1 - t0) / 1000,
    perSecond: Math.round(n / ((t1 - t0) / 1000)),
  });
} else if (mode === 'latency-consume') {
  const [topic, expectedText] = args;
  const expected = Number(expectedText);
  const lat = new Float64Array(expected);
  let n = 0;
  const now = () => performance.timeOrigin + performance.now();
  await consume(client, {
    topic,
    groupId: `bench-lat-${client}-${process.pid}`,
    expected,
    onReady: () => process.stderr.write('ready\n'),
    onMessage: (v) => {
      const sentAt = Number(v.toString().slice(0, 20));
      lat[n++] = now() - sentAt;
    },
  });
  lat.sort();
  const q = (p) => lat[Math.min(expected - 1, Math.floor(p * expected))];
  out({ topic, messages: expected, p50Ms: q(0.5), p99Ms: q(0.99), maxMs: lat[expected - 1] });
} else if (mode === 'latency-produce') {
  // Paced: every 10 ms, the messages due by then, each stamped with its send time (ms, 3 decimals).
  const [topic, rateText, secondsText] = args;
  const rate = Number(rateText);
  const total = rate * Number(secondsText);
  const p = await producer(client);
  const now = () => performance.timeOrigin + performance.now();
  const t0 = performance.now();
  let sent = 0;
  const pending = new Set();
  while (sent < total) {
    const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
    if (due > sent) {
      const stamp = now().toFixed(3).padStart(20, '0');
      const keys = [];
      const values = [];
      for (let i = sent; i < due; i++) {
        keys.push(`MTR-${String(i % 50_000).padStart(7, '0')}`);
        values.push(stamp);
      }
      sent = due;
      const s = p.send(topic, keys, values);
      pending.add(s);
      s.finally(() => pending.delete(s));
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  await Promise.all(pending);
  await p.close();
  out({ topic, messages: total, rate });
} else {
  throw new Error(`unknown mode ${mode}`);
}
