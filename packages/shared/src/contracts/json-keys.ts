/**
 * Duplicated keys in a JSON text. JSON.parse keeps the last value of a key written twice in one
 * object and says nothing, so a message `{"consumption_kwh": 1, …, "consumption_kwh": 9}` would be
 * taken for the second value alone. RFC 8259 leaves such a message's meaning open; the platform
 * rejects it (DUPLICATE_KEY, reasons.ts).
 *
 * The check runs on every message, after JSON.parse succeeded (so the text is valid JSON):
 *  - `hasDuplicateKeys` counts the `:` outside strings (each separates one key from its value, so
 *    their number is the number of keys written) and compares it with the keys of the parsed value
 *    (every object, however deep): fewer parsed keys ⇔ some object had a key twice. One pass over
 *    the bytes, no allocation for a flat object (≈ a third of the cost of JSON.parse on a read);
 *  - `firstDuplicateKey` says which key and where (JSON pointer), only for a message already found
 *    to have one.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Number of `:` outside strings of a valid JSON text = number of object keys written in it. Two
 * copies of one loop (bytes, characters): indexing a Buffer is ~2× faster than charCodeAt, and the
 * bytes `"`, `\\` and `:` never occur inside a UTF-8 multi-byte character, so both count the same.
 * The inner loop skips a string to its closing quote (measured ~2× faster than one loop with an
 * in-string flag).
 */
function keysWritten(json: Uint8Array | string): number {
  return typeof json === 'string' ? colonsOutsideStringsOfText(json) : colonsOutsideStringsOfBytes(json);
}

function colonsOutsideStringsOfBytes(b: Uint8Array): number {
  let colons = 0;
  const n = b.length;
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = b[i];
        if (s === QUOTE) break;
        if (s === BACKSLASH) i++;
      }
    } else if (c === COLON) colons++;
  }
  return colons;
}

function colonsOutsideStringsOfText(t: string): number {
  let colons = 0;
  const n = t.length;
  for (let i = 0; i < n; i++) {
    const c = t.charCodeAt(i);
    if (c === QUOTE) {
      for (i++; i < n; i++) {
        const s = t.charCodeAt(i);
        if (s === QUOTE) break;
        if (s === BACKSLASH) i++;
      }
    } else if (c === COLON) colons++;
  }
  return colons;
}

/**
 * Number of keys of every object in a parsed JSON value, at any depth (iteratively: a message may
 * nest thousands of levels). A flat object (every read and event) allocates nothing. for…in: JSON.parse
 * makes plain objects whose keys are all their own.
 */
function keysParsed(value: unknown): number {
  let keys = 0;
  let nested: object[] | undefined;
  let next: unknown = value;
  for (;;) {
    if (next !== null && typeof next === 'object') {
      if (Array.isArray(next)) {
        for (const item of next as unknown[])
          if (item !== null && typeof item === 'object') (nested ??= []).push(item);
      } else {
        for (const k in next) {
          keys++;
          const item = (next as Record<string, unknown>)[k];
          if (item !== null && typeof item === 'object') (nested ??= []).push(item);
        }
      }
    }
    if (nested === undefined || nested.length === 0) return keys;
    next = nested.pop();
  }
}

/**
 * Whether some object of `json` (valid JSON — its bytes or its text — parsed into `value`) writes a
 * key more than once.
 */
export function hasDuplicateKeys(json: Uint8Array | string, value: unknown): boolean {
  return keysWritten(json) > keysParsed(value);
}

/** JSON pointer token of a key (RFC 6901). */
const pointerToken = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

interface Frame {
  /** JSON pointer of this object or array. */
  readonly path: string;
  /** Keys seen so far (objects only). */
  readonly keys: Set<string> | undefined;
  /** Index of the next item (arrays only). */
  index: number;
}

/** A key token's name (escapes decoded only when there are some). */
function keyName(text: string, start: number, end: number): string {
  const raw = text.slice(start + 1, end);
  return raw.includes('\\') ? (JSON.parse(text.slice(start, end + 1)) as string) : raw;
}

/** End (closing quote) of the string starting at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === BACKSLASH) i += 2;
    else if (c === QUOTE) return i;
    else i++;
  }
  return text.length;
}

/** Whether the next non-blank character after `i` is a `:` (the string before it was a key). */
function colonFollows(text: string, i: number): boolean {
  for (let j = i + 1; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === COLON) return true;
    if (c !== 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) return false;
  }
  return false;
}

/**
 * The first key written twice in one object of `text` (valid JSON): its name and the JSON pointer
 * of its second occurrence; undefined when there is none.
 */
export function firstDuplicateKey(text: string): { readonly key: string; readonly path: string } | undefined {
  const stack: Frame[] = [];
  let nextPath = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const top = stack[stack.length - 1];
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const path = top?.keys === undefined && top !== undefined ? `${top.path}/${top.index}` : nextPath;
      stack.push({ path, keys: c === 0x7b ? new Set() : undefined, index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */ && top !== undefined && top.keys === undefined) {
      top.index++;
    } else if (c === QUOTE) {
      const end = stringEnd(text, i);
      if (top?.keys !== undefined && colonFollows(text, end)) {
        const key = keyName(text, i, end);
        nextPath = `${top.path}/${pointerToken(key)}`;
        if (top.keys.has(key)) return { key, path: nextPath };
        top.keys.add(key);
      }
      i = end;
    }
  }
  return undefined;
}
