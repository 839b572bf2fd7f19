/** One TCP connection to a Kafka broker: framed requests, responses matched by correlation id. */
import { Socket } from 'node:net';

interface Pending {
  resolve(body: Buffer): void;
  reject(err: Error): void;
}

export class BrokerConnection {
  private readonly socket = new Socket();
  private readonly pending = new Map<number, Pending>();
  private buffered: Buffer = Buffer.alloc(0);
  private failure: Error | undefined;

  private constructor() {
    this.socket.setNoDelay(true);
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    this.socket.on('error', (err) => this.fail(err));
    this.socket.on('close', () => this.fail(new Error('broker connection closed')));
  }

  static connect(host: string, port: number): Promise<BrokerConnection> {
    const c = new BrokerConnection();
    return new Promise((resolve, reject) => {
      c.socket.once('error', reject);
      c.socket.connect(port, host, () => {
        c.socket.off('error', reject);
        resolve(c);
      });
    });
  }

  /** Sends a framed request; resolves with the response body after its correlation id. */
  request(frame: Buffer, correlationId: number): Promise<Buffer> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.socket.write(frame);
    });
  }

  close(): void {
    this.failure ??= new Error('connection closed by the producer');
    this.socket.destroy();
  }

  private fail(err: Error): void {
    this.failure ??= err;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    while (this.buffered.length >= 4) {
      const size = this.buffered.readInt32BE(0);
      if (this.buffered.length < 4 + size) break;
      const correlationId = this.buffered.readInt32BE(4);
      const body = this.buffered.subarray(8, 4 + size);
      this.buffered = this.buffered.subarray(4 + size);
      const p = this.pending.get(correlationId);
      if (p !== undefined) {
        this.pending.delete(correlationId);
        p.resolve(body);
      }
    }
  }
}
