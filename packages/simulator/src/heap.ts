/**
 * A min-heap of messages held back for later (late reads, re-reads, out-of-order reads, events),
 * ordered by produce time and then insertion order, so ties resolve the same way on every run.
 */
export interface Held {
  /** Produce time (UTC ms). */
  readonly at: number;
  readonly seq: number;
  readonly key: string;
  readonly value: string;
}

const before = (a: Held, b: Held): boolean => a.at < b.at || (a.at === b.at && a.seq < b.seq);

export class HeldMessages {
  private readonly items: Held[] = [];
  private seq = 0;

  get size(): number {
    return this.items.length;
  }

  /** Produce time of the earliest held message, or Infinity. */
  get nextAt(): number {
    return this.items[0]?.at ?? Infinity;
  }

  push(at: number, key: string, value: string): void {
    const items = this.items;
    items.push({ at, seq: this.seq++, key, value });
    let i = items.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      const child = items[i];
      const parent = items[p];
      if (child === undefined || parent === undefined || !before(child, parent)) break;
      items[i] = parent;
      items[p] = child;
      i = p;
    }
  }

  pop(): Held | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (top === undefined || last === undefined || items.length === 0) return top;
    items[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      const im = items[m];
      const il = items[l];
      const ir = items[r];
      if (im === undefined) break;
      let best = im;
      if (il !== undefined && before(il, best)) {
        m = l;
        best = il;
      }
      if (ir !== undefined && before(ir, best)) {
        m = r;
        best = ir;
      }
      if (m === i) break;
      items[m] = im;
      items[i] = best;
      i = m;
    }
    return top;
  }
}
