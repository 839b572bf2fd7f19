/** Log files of the local services: tails for `infra logs` and for health-check errors, rotation. */
import { closeSync, existsSync, openSync, readSync, renameSync, statSync } from 'node:fs';

/** The last `n` lines of `text` (a trailing newline does not count as an empty last line). */
export function tailLines(text: string, n: number): string[] {
  if (n <= 0) return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines.slice(-n);
}

/** The last `n` lines of a file, reading at most its last `maxBytes`; [] when it does not exist. */
export function readLogTail(file: string, n: number, maxBytes = 1 << 20): string[] {
  if (!existsSync(file)) return [];
  const size = statSync(file).size;
  // When the window starts mid-file, read one byte more and drop everything up to the first
  // newline: a line cut by the window is never shown (an empty one is dropped if the cut fell
  // exactly on a line start).
  const start = Math.max(0, size - maxBytes);
  const from = start > 0 ? start - 1 : 0;
  const buf = Buffer.alloc(size - from);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, from);
  } finally {
    closeSync(fd);
  }
  let text = buf.toString('utf8');
  if (start > 0) {
    const nl = text.indexOf('\n');
    text = nl < 0 ? '' : text.slice(nl + 1);
  }
  return tailLines(text, n);
}

/** Moves `file` to `file.1` (replacing an older one) when it is larger than `maxBytes`. */
export function rotateLog(file: string, maxBytes = 20 << 20): void {
  if (existsSync(file) && statSync(file).size > maxBytes) renameSync(file, `${file}.1`);
}

export function indent(lines: readonly string[], prefix = '    '): string {
  return lines.map((l) => `${prefix}${l}`).join('\n');
}
