/** SHA-256 and size of a local file, streamed (view files can be large). */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    const buf = chunk as Buffer;
    bytes += buf.length;
    h.update(buf);
  }
  return { sha256: h.digest('hex'), bytes };
}
