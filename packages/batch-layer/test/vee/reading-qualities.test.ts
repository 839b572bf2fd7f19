import { describe, expect, it } from 'vitest';
import { REASON_CODE_LIST } from '@ami/shared/contracts';
import { DAY_ISSUES, METHODS, QUALITY_CLASSES, VEE_REASONS } from '../../src/vee/codes.ts';
import {
  DAY_ISSUE_MAPPING,
  GREEN_BUTTON_QUALITIES,
  IEC_CODES,
  QUALITY_MAPPING,
  REASON_MAPPING,
  readingQualitiesMarkdown,
  type StandardQuality,
} from '../../src/vee/reading-qualities.ts';

const all = (): StandardQuality[] => [
  ...QUALITY_MAPPING,
  ...Object.values(REASON_MAPPING),
  ...Object.values(DAY_ISSUE_MAPPING),
];

describe('reading-quality mapping', () => {
  it('maps every class, every method, every reason and every day issue', () => {
    expect(new Set(QUALITY_MAPPING.map((m) => m.quality))).toEqual(new Set(QUALITY_CLASSES));
    expect(new Set(QUALITY_MAPPING.map((m) => m.method))).toEqual(new Set(METHODS));
    expect(Object.keys(REASON_MAPPING).sort()).toEqual([...VEE_REASONS].sort());
    expect(Object.keys(DAY_ISSUE_MAPPING).sort()).toEqual([...DAY_ISSUES].sort());
  });

  it('uses only IEC codes of its sourced table and published ESPI values', () => {
    for (const m of all()) {
      for (const code of m.iec61968_9) {
        expect(code).toMatch(/^[0-5]\.(?:[0-9]|1[0-2])\.\d+$/);
        expect(IEC_CODES[code], code).toBeDefined();
      }
      if (m.greenButton !== null) expect(GREEN_BUTTON_QUALITIES[m.greenButton]).toBeDefined();
      expect(m.note.length).toBeGreaterThan(5);
    }
    // the ESPI enumeration of espiDerived.xsd: 0 and 7…19
    expect(Object.keys(GREEN_BUTTON_QUALITIES).map(Number)).toEqual([
      0,
      ...Array.from({ length: 13 }, (_, i) => i + 7),
    ]);
    for (const c of Object.values(IEC_CODES)) expect(c.sources.length).toBeGreaterThan(0);
  });

  it('keeps a head-end estimate apart from a VEE estimate', () => {
    const headEnd = QUALITY_MAPPING.find((m) => m.method === 'HEAD_END')!;
    expect(headEnd.quality).toBe('E');
    expect(headEnd.iec61968_9).toEqual(['2.8.0']); // estimated by the metering system (head-end)
    for (const m of QUALITY_MAPPING.filter((r) => r.quality === 'E' && r.method !== 'HEAD_END'))
      expect(m.iec61968_9).toEqual(['3.8.0']); // estimated by the MDM (VEE)
  });

  it('renders every code, every IEC code and every DLQ reason into the document section', () => {
    const md = readingQualitiesMarkdown();
    for (const code of [
      ...METHODS,
      ...VEE_REASONS,
      ...DAY_ISSUES,
      ...Object.keys(IEC_CODES),
      ...REASON_CODE_LIST,
    ])
      expect(md).toContain(code);
    // no row of this section looks like a row of the DLQ reason table (fuzz test parses that one)
    expect(md).not.toMatch(/^\| `[A-Z_]+` \|/m);
  });
});
