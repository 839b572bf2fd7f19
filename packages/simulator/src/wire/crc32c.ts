/** CRC-32C (Castagnoli), as Kafka's RecordBatch v2 needs it; slicing-by-8 tables. */

const POLY = 0x82f63b78;
const TABLES: Int32Array[] = [];
{
  const t0 = new Int32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[i] = c;
  }
  TABLES.push(t0);
  for (let t = 1; t < 8; t++) {
    const prev = TABLES[t - 1] ?? t0;
    const cur = new Int32Array(256);
    for (let i = 0; i < 256; i++) {
      const p = prev[i] ?? 0;
      cur[i] = (p >>> 8) ^ (t0[p & 0xff] ?? 0);
    }
    TABLES.push(cur);
  }
}
const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
  Int32Array,
];

/** CRC-32C of buf[start, end) as an unsigned 32-bit integer. */
export function crc32c(buf: Uint8Array, start = 0, end = buf.length): number {
  let crc = -1;
  let i = start;
  const end8 = end - ((end - start) & 7);
  for (; i < end8; i += 8) {
    const a =
      crc ^
      ((buf[i] ?? 0) | ((buf[i + 1] ?? 0) << 8) | ((buf[i + 2] ?? 0) << 16) | ((buf[i + 3] ?? 0) << 24));
    crc =
      (T7[a & 0xff] ?? 0) ^
      (T6[(a >>> 8) & 0xff] ?? 0) ^
      (T5[(a >>> 16) & 0xff] ?? 0) ^
      (T4[a >>> 24] ?? 0) ^
      (T3[buf[i + 4] ?? 0] ?? 0) ^
      (T2[buf[i + 5] ?? 0] ?? 0) ^
      (T1[buf[i + 6] ?? 0] ?? 0) ^
      (T0[buf[i + 7] ?? 0] ?? 0);
  }
  for (; i < end; i++) crc = (crc >>> 8) ^ (T0[(crc ^ (buf[i] ?? 0)) & 0xff] ?? 0);
  return (crc ^ -1) >>> 0;
}
