/**
 * The API's one CSV writer: every CSV export (billing determinants, analytics aggregates) is written
 * here, with the maintained `csv-stringify` package (its synchronous API: exports are built in
 * memory). Documents are RFC 4180: a header row, CRLF after every row (the last one too), a field
 * quoted when it holds a comma, a quote, CR or LF, quotes inside doubled; null is an empty field,
 * booleans are `true` / `false`.
 *
 * Formula-injection guard (OWASP "CSV Injection"), on every cell of every export: a TEXT cell that
 * starts with `=`, `+`, `-`, `@`, tab or CR — or the full-width `＝ ＋ － ＠` some spreadsheets
 * normalise — gets a leading `'`, so a spreadsheet shows it as text instead of evaluating it.
 * Numbers stay numbers: a number cell (also one written with a column's own number format, e.g.
 * kWh with 3 decimals) is never prefixed, so `-1.5` stays `-1.5`. The guard is csv-stringify's
 * `escape_formulas`; it runs before quoting (`'=a,b` is written `"'=a,b"`).
 */
import { stringify, type CastingContext } from 'csv-stringify/sync';

export const CSV_CONTENT_TYPE = 'text/csv; charset=utf-8';

/** One value of a CSV row. */
export type CsvCell = string | number | boolean | null;

/** A column of a CSV export: its header and how a row gives its cell. */
export interface CsvColumn<R> {
  readonly header: string;
  readonly value: (row: R) => CsvCell;
  /**
   * How this column writes a number (default `String(n)`), e.g. kWh with exactly 3 decimals. It must
   * return the number's digits: the result is treated as a number and not guarded.
   */
  readonly number?: (n: number) => string;
}

const BASE_OPTIONS = {
  record_delimiter: 'windows',
  // csv-stringify stops quoting a lone CR or LF once record_delimiter is set; RFC 4180 wants it.
  quote_record_delimiter: true,
  escape_formulas: true,
} as const;

const booleanText = (b: boolean): string => String(b);

/** The CSV document of `rows` (header row first, CRLF line ends, every cell guarded). */
export function toCsvDocument<R>(columns: readonly CsvColumn<R>[], rows: readonly R[]): string {
  const numberText = (n: number, context: CastingContext): string => {
    const format = typeof context.index === 'number' ? columns[context.index]?.number : undefined;
    return format === undefined ? String(n) : format(n);
  };
  return stringify(
    rows.map((row) => columns.map((c) => c.value(row))),
    {
      ...BASE_OPTIONS,
      header: true,
      columns: columns.map((c) => c.header),
      cast: { number: numberText, boolean: booleanText },
    },
  );
}

/** One cell as the CSV writer writes it (guarded and quoted; no line end). */
export function csvField(value: CsvCell): string {
  return stringify([[value]], { ...BASE_OPTIONS, eof: false, cast: { boolean: booleanText } });
}
