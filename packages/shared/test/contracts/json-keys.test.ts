import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { firstDuplicateKey, hasDuplicateKeys } from '../../src/contracts/json-keys.ts';
import { intervalRead, json } from './fixtures.ts';

/** Both entry points on the text and on its UTF-8 bytes. */
function duplicated(text: string): boolean {
  const value: unknown = JSON.parse(text);
  const onText = hasDuplicateKeys(text, value);
  expect(hasDuplicateKeys(Buffer.from(text, 'utf8'), value)).toBe(onText);
  return onText;
}

describe('duplicated JSON keys', () => {
  it('a read written by JSON.stringify has none', () => {
    const text = json(intervalRead());
    expect(duplicated(text)).toBe(false);
    expect(firstDuplicateKey(text)).toBeUndefined();
  });

  it('finds a key written twice at the top level and names it', () => {
    const text = json(intervalRead()).replace('}', ',"consumption_kwh":9}');
    expect(duplicated(text)).toBe(true);
    expect(firstDuplicateKey(text)).toEqual({ key: 'consumption_kwh', path: '/consumption_kwh' });
  });

  it.each([
    ['in a nested object', '{"a":{"b":1,"b":2}}', 'b', '/a/b'],
    ['in an object inside arrays', '{"c":[{"x":1},{"x":2,"y":[1,{"z":1,"z":2}]}]}', 'z', '/c/1/y/1/z'],
    ['spelled with an escape', '{"meter_id":1,"\\u006deter_id":2}', 'meter_id', '/meter_id'],
    ['with blanks around the colon', '{ "a" : 1 ,\n "a"\t: 2 }', 'a', '/a'],
    ['__proto__', '{"__proto__":{},"__proto__":1}', '__proto__', '/__proto__'],
    ['with a slash and a tilde', '{"a/~b":1,"a/~b":2}', 'a/~b', '/a~1~0b'],
  ])('finds one %s', (_name, text, key, path) => {
    expect(duplicated(text)).toBe(true);
    expect(firstDuplicateKey(text)).toEqual({ key, path });
  });

  it.each([
    ['the same key in sibling objects', '{"c":[{"x":1},{"x":2}],"d":{"x":3}}'],
    ['colons, quotes and braces inside strings', '{"a:b":"c:\\"d:}","e" : 1 , "f":[":",{"g":"{"}]}'],
    ['a key and a value with the same text', '{"a":"a","b":"a"}'],
    ['keys that differ only by an escape', '{"a\\u0000":1,"a":2}'],
    ['non-ASCII keys', '{"mätare":1,"mätare2":2,"€":3}'],
    ['an empty object and array', '{"a":{},"b":[]}'],
  ])('finds none with %s', (_name, text) => {
    expect(duplicated(text)).toBe(false);
    expect(firstDuplicateKey(text)).toBeUndefined();
  });

  it('handles thousands of nesting levels', () => {
    const deep = '{"a":'.repeat(5000) + '1' + '}'.repeat(5000);
    expect(duplicated(deep)).toBe(false);
    const deepDup = '{"a":'.repeat(3000) + '{"b":1,"b":2}' + '}'.repeat(3000);
    expect(duplicated(deepDup)).toBe(true);
    expect(firstDuplicateKey(deepDup)?.key).toBe('b');
  });

  it('agrees with a reference on any JSON object written with or without a repeated key', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string({ maxLength: 6 }), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }),
        fc.nat(),
        fc.boolean(),
        (obj, pick, repeat) => {
          const entries = Object.entries(obj);
          const [k, v] = entries[pick % entries.length]!;
          const base = JSON.stringify(obj);
          const text = repeat ? `${base.slice(0, -1)},${JSON.stringify(k)}:${JSON.stringify(v)}}` : base;
          expect(duplicated(text)).toBe(repeat);
          if (repeat) expect(firstDuplicateKey(text)?.key).toBe(k);
        },
      ),
      { numRuns: 500 },
    );
  });
});
