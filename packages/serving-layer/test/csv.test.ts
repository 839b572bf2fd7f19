/** The API's CSV writer (src/format/csv.ts): RFC 4180 quoting and the formula-injection guard. */
import { describe, expect, it } from 'vitest';
import { csvField, toCsvDocument, type CsvColumn } from '../src/format/csv.ts';

describe('formula-injection guard', () => {
  it.each(['=1+1', '+1', '-1', '@SUM(A1)', '\tx', '=HYPERLINK("http://x")'])(
    'prefixes text starting with a formula character: %j',
    (text) => {
      const written = csvField(text);
      const unquoted = written.startsWith('"') ? written.slice(1, -1).replaceAll('""', '"') : written;
      expect(unquoted).toBe(`'${text}`);
    },
  );

  it('prefixes a leading CR and still quotes the field', () => {
    expect(csvField('\rx')).toBe('"\'\rx"');
  });

  it('prefixes the full-width formula characters', () => {
    for (const c of ['＝', '＋', '－', '＠']) expect(csvField(`${c}1`)).toBe(`'${c}1`);
  });

  it('prefixes before quoting', () => {
    expect(csvField('=a,b')).toBe(`"'=a,b"`);
    expect(csvField('-"x"')).toBe(`"'-""x"""`);
  });

  it('leaves numbers as numbers, negative ones too', () => {
    expect(csvField(-1)).toBe('-1');
    expect(csvField(-0.25)).toBe('-0.25');
    expect(csvField(3)).toBe('3');
  });

  it('leaves text that does not start with a formula character alone', () => {
    for (const text of ['a=1', 'x-y', ' -1', "'=x", 'SP-1']) expect(csvField(text)).toBe(text);
  });
});

describe('CSV fields (RFC 4180)', () => {
  it('quotes a comma, quote, CR or LF and doubles quotes', () => {
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('Doe, "J" Jr')).toBe('"Doe, ""J"" Jr"');
    expect(csvField('x\ny')).toBe('"x\ny"');
    expect(csvField('x\ry')).toBe('"x\ry"');
  });

  it('writes null and the empty string as an empty field, booleans as true/false', () => {
    expect(csvField(null)).toBe('');
    expect(csvField('')).toBe('');
    expect(csvField(true)).toBe('true');
    expect(csvField(false)).toBe('false');
  });
});

describe('toCsvDocument', () => {
  interface Row {
    readonly name: string;
    readonly kwh: number | null;
    readonly n: number;
    readonly ok: boolean;
  }
  const columns: CsvColumn<Row>[] = [
    { header: 'name', value: (r) => r.name },
    { header: 'kwh', value: (r) => r.kwh, number: (x) => x.toFixed(3) },
    { header: 'n', value: (r) => r.n },
    { header: 'ok', value: (r) => r.ok },
  ];

  it('writes a header row and CRLF after every row', () => {
    expect(toCsvDocument(columns, [])).toBe('name,kwh,n,ok\r\n');
    expect(
      toCsvDocument(columns, [
        { name: 'a', kwh: 1.5, n: 2, ok: true },
        { name: 'b,c', kwh: null, n: 0, ok: false },
      ]),
    ).toBe('name,kwh,n,ok\r\na,1.500,2,true\r\n"b,c",,0,false\r\n');
  });

  it("guards every text cell but keeps a column's formatted negative numbers unprefixed", () => {
    expect(toCsvDocument(columns, [{ name: '-x', kwh: -0.007, n: -3, ok: true }])).toBe(
      "name,kwh,n,ok\r\n'-x,-0.007,-3,true\r\n",
    );
  });
});
