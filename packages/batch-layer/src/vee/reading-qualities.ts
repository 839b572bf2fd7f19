/**
 * Every quality, method and reason code of the platform mapped to the two published reading-quality
 * vocabularies a utility exchanges data in — IEC 61968-9 ReadingQualityType codes and Green Button
 * (NAESB ESPI) QualityOfReading values — with the sources used and where a code has no standard
 * counterpart. One table in code; `readingQualitiesMarkdown` renders it into docs/reason-codes.md
 * (through `pnpm ami config --reasons`, so the document cannot drift from the codes).
 *
 * IEC 61968-9 codes are "<systemId>.<category>.<subCategory>". The platform is the meter data
 * management system (MDM, system 3) for what VEE decides, the head-end is the metering system
 * (system 2), the meter the end device (system 1).
 */
import { REASON_CODE_LIST } from '@ami/shared/contracts';
import {
  DAY_ISSUES,
  VEE_REASON_MEANINGS,
  VEE_REASONS,
  type DayIssueCode,
  type Method,
  type QualityClass,
  type VeeReason,
} from './codes.ts';

/** A code's counterparts in the two standards. */
export interface StandardQuality {
  /** IEC 61968-9 ReadingQualityType codes (every one in IEC_CODES); empty = no counterpart. */
  readonly iec61968_9: readonly string[];
  /** Green Button (ESPI) QualityOfReading value (a key of GREEN_BUTTON_QUALITIES); null = none. */
  readonly greenButton: number | null;
  /** Why this mapping, and what the standards lack. */
  readonly note: string;
}

/** One (class, method) combination VEE produces. */
export interface QualityMapping extends StandardQuality {
  readonly quality: QualityClass;
  readonly method: Method;
  readonly meaning: string;
}

/** Sources that list an IEC code in full or give every number of it (see READING_QUALITY_SOURCES). */
type SourceKey = 'connexo' | 'netstream';

interface IecCode {
  readonly name: string;
  readonly sources: readonly SourceKey[];
  /** Where the sources disagree. */
  readonly caveat?: string;
}

/** The published tables used, cited in the document. */
export const READING_QUALITY_SOURCES: Readonly<Record<SourceKey | 'espi' | 'cim' | 'aclara', string>> = {
  espi: 'NAESB REQ.21 ESPI schema as published by the Green Button Alliance: `espiDerived.xsd` version 0.7.20150119, simpleType `QualityOfReading` (GreenButtonAlliance/OpenESPI-Common-java, `etc/espiDerived.xsd` at commit 29e074ae49d62d37d55b1dc83f88eea495bcfe9e; renamed `usage.xsd` later). Every value below was checked against its enumeration and documentation.',
  cim: 'IEC CIM (IEC 61968-9) class `ReadingQualityType`: codes are `<systemId>.<category>.<subCategory>` (CIM100 model documentation, https://zepben.github.io/evolve/docs/cim/cim100/TC57CIM/IEC61968/Metering/ReadingQualityType).',
  connexo:
    'Honeywell/Elster Connexo MDM, an open implementation of the IEC 61968-9 reading-quality tables: enums `QualityCodeSystem` (0 not applicable, 1 end device, 2 MDC = metering system, 3 MDM, 4 other, 5 external), `QualityCodeCategory` (0 valid … 12 projected) and `QualityCodeIndex` (chandangeek/Connexo_Code, `coko/com.elster.jupiter.cbo/src/main/java/com/elster/jupiter/cbo/`, commit 803c36c8356ba887b6af64cc096033d166cd7f0c).',
  netstream:
    'Netstream API documentation, "Reading Quality Flags" (https://netstream.z8.web.core.windows.net/api/qual-flags): its flag bits with their IEC codes (2.5.259, 3.0.0, 3.5.259, 3.6.0, 3.7.0, 1.4.2, 1.4.4, 1.2.32) and subsystems ED = end device, MS = metering system, MDM.',
  aclara:
    'Aclara I-210+c user guide, "Supported Quality Codes": codes such as 2.4.1 MeteringSystem.DataCollectionRelated and 2.6.1001 MeteringSystem.Validation confirm system 2 = metering system, category 4 = data collection, 6 = validation.',
};

/** The IEC codes the mapping uses, their meaning and which sources confirm the numbers. */
export const IEC_CODES: Readonly<Record<string, IecCode>> = {
  '3.0.0': { name: 'MDM · valid · data valid', sources: ['connexo', 'netstream'] },
  '3.5.259': {
    name: 'MDM · reasonability · known missing read',
    sources: ['connexo'],
    caveat:
      'netstream lists 2.5.259 as "known missing read" (metering system) but labels 3.5.259 "failed reasonability, data outside expected range", which connexo numbers 5.256.',
  },
  '3.6.0': { name: 'MDM · validation · failed validation (generic)', sources: ['connexo', 'netstream'] },
  '3.6.1': { name: 'MDM · validation · zero usage', sources: ['connexo'] },
  '3.6.2': { name: 'MDM · validation · usage on inactive meter', sources: ['connexo'] },
  '3.6.3': { name: 'MDM · validation · usage above maximum', sources: ['connexo'] },
  '3.6.4': { name: 'MDM · validation · usage below minimum', sources: ['connexo'] },
  '3.7.0': { name: 'MDM · edited · manually edited (generic)', sources: ['connexo', 'netstream'] },
  '3.8.0': { name: 'MDM · estimated (generic)', sources: ['connexo'] },
  '2.8.0': { name: 'metering system (head-end) · estimated (generic)', sources: ['connexo'] },
  '1.2.32': { name: 'end device · power quality · power fail', sources: ['connexo', 'netstream'] },
};

/** ESPI QualityOfReading values (espiDerived.xsd), all of them, with their published names. */
export const GREEN_BUTTON_QUALITIES: Readonly<Record<number, string>> = {
  0: 'valid',
  7: 'manually edited',
  8: 'estimated using reference day',
  9: 'estimated using linear interpolation',
  10: 'questionable',
  11: 'derived',
  12: 'projected (forecast)',
  13: 'mixed',
  14: 'raw',
  15: 'normalized for weather',
  16: 'other',
  17: 'validated',
  18: 'verified',
  19: 'revenue-quality',
};

const NO_ESPI_ESTIMATE =
  'ESPI names only two estimation methods (8 reference day, 9 linear interpolation) and has no generic "estimated" value; 11 "derived" (calculated by logic or mathematical operations) is the nearest.';

/** Class/method → the standards. Every class and every method VEE produces has a row. */
export const QUALITY_MAPPING: readonly QualityMapping[] = [
  {
    quality: 'A',
    method: 'NONE',
    meaning: 'actual: the read as received, passed every VEE rule',
    iec61968_9: ['3.0.0'],
    greenButton: 0,
    note: 'ESPI 0: "gone through all required validation checks and … passed them all".',
  },
  {
    quality: 'E',
    method: 'LINEAR',
    meaning: 'estimated by VEE: straight line between the neighbours',
    iec61968_9: ['3.8.0'],
    greenButton: 9,
    note: 'IEC has no per-method index under "estimated"; the method column keeps it exact.',
  },
  {
    quality: 'E',
    method: 'LIKE_DAY',
    meaning: 'estimated by VEE: average of the same quarter-hour on earlier like days',
    iec61968_9: ['3.8.0'],
    greenButton: 8,
    note: 'ESPI 8: "based on analysis of historical data using the same type of measurement".',
  },
  {
    quality: 'E',
    method: 'LOAD_SHAPE',
    meaning: 'estimated by VEE: the segment load shape scaled to a level',
    iec61968_9: ['3.8.0'],
    greenButton: 11,
    note: NO_ESPI_ESTIMATE,
  },
  {
    quality: 'E',
    method: 'REGISTER_SCALED',
    meaning: 'estimated by VEE, then scaled to the DAILY register delta',
    iec61968_9: ['3.8.0'],
    greenButton: 11,
    note: NO_ESPI_ESTIMATE,
  },
  {
    quality: 'E',
    method: 'HEAD_END',
    meaning: 'estimated by the head-end (`estimated_flag: true`), kept as received: no VEE rule rejected it',
    iec61968_9: ['2.8.0'],
    greenButton: 11,
    note: `System 2: the metering system estimated it, not the MDM. The head-end does not say how, so no ESPI method code applies; ${NO_ESPI_ESTIMATE}`,
  },
  {
    quality: 'O',
    method: 'OUTAGE_FILL',
    meaning: '0 Wh inside a POWER_OUTAGE → POWER_RESTORED span of the meter’s events',
    iec61968_9: ['3.8.0', '1.2.32'],
    greenButton: 11,
    note: 'The power failure is what the meter’s events say (end device); ESPI has no outage value.',
  },
  {
    quality: 'M',
    method: 'EDIT',
    meaning: 'manually edited',
    iec61968_9: ['3.7.0'],
    greenButton: 7,
    note: 'ESPI 7: "replaced or approved by a human".',
  },
  {
    quality: 'X',
    method: 'NONE',
    meaning: 'missing: no value (no read, or a rejected read VEE could not estimate)',
    iec61968_9: ['3.5.259'],
    greenButton: null,
    note: 'No IntervalReading is published for a missing interval (ESPI has no "missing" value).',
  },
];

const QUESTIONABLE_ORIGINAL =
  'Green Button: the original value, if published, is 10 "questionable"; the final value takes its class/method code.';

/** A read a VEE rule rejected (its value kept as the original, the slot a gap). */
const rejected = (iec: string, why: string): StandardQuality => ({
  iec61968_9: [iec],
  greenButton: 10,
  note: `${why} ${QUESTIONABLE_ORIGINAL}`,
});
const REJECTED = rejected('3.6.0', 'Failed validation; no specific IEC subcategory for this rule.');

/** Reason → the standards (for the slot's final value the class/method row applies as well). */
export const REASON_MAPPING: Readonly<Record<VeeReason, StandardQuality>> = {
  NONE: { iec61968_9: [], greenButton: null, note: 'Nothing to add to the class/method code.' },
  MISSING: {
    iec61968_9: ['3.5.259'],
    greenButton: null,
    note: 'Known missing read; once estimated, the estimate’s class/method code applies too.',
  },
  MISALIGNED_INTERVAL: REJECTED,
  FUTURE_TIMESTAMP: REJECTED,
  RANGE_HIGH: rejected('3.6.3', 'Failed validation: usage above maximum.'),
  RANGE_NEGATIVE: rejected('3.6.4', 'Failed validation: usage below minimum.'),
  NET_MISMATCH: REJECTED,
  SPIKE: REJECTED,
  STUCK_AT_ZERO: rejected('3.6.1', 'Failed validation: zero usage.'),
  UNKNOWN_METER: rejected(
    '3.6.2',
    'Nearest: failed validation, usage on an inactive meter (no topology version on the day).',
  ),
  STORM_SUSPENDED: {
    iec61968_9: ['3.5.259'],
    greenButton: null,
    note: 'Missing; neither standard has a code for "estimation suspended" (storm mode).',
  },
  NO_ESTIMATE: {
    iec61968_9: ['3.5.259'],
    greenButton: null,
    note: 'Missing; no standard code says why no estimate was made.',
  },
  NOT_YET_DUE: {
    iec61968_9: [],
    greenButton: null,
    note: 'The interval had not ended at the build: not a reading yet, no standard counterpart.',
  },
  MANUAL_EDIT: { iec61968_9: ['3.7.0'], greenButton: 7, note: 'As class M.' },
  HEAD_END_ESTIMATE: {
    iec61968_9: ['2.8.0'],
    greenButton: 11,
    note: 'As method HEAD_END: estimated by the metering system (head-end).',
  },
};

const DAY_LEVEL: StandardQuality = {
  iec61968_9: [],
  greenButton: null,
  note: 'Day-level finding, no standard counterpart (reading qualities qualify single values).',
};

/** Day-level issues judge a whole meter-day: reading qualities are per value, so none applies. */
export const DAY_ISSUE_MAPPING: Readonly<Record<DayIssueCode, StandardQuality>> = {
  UNKNOWN_METER: { ...DAY_LEVEL, note: 'Day-level; its slots carry reason UNKNOWN_METER.' },
  SUM_CHECK_MISMATCH: DAY_LEVEL,
  REGISTER_DECREASED: DAY_LEVEL,
  REGISTER_BELOW_ACTUALS: DAY_LEVEL,
  REGISTER_SIGN_CONFLICT: DAY_LEVEL,
  STORM_SUSPENDED: { ...DAY_LEVEL, note: 'Day-level; its gaps carry reason STORM_SUSPENDED.' },
  DUPLICATE_READ: DAY_LEVEL,
  READ_OUTSIDE_DAY: DAY_LEVEL,
  EDIT_REJECTED: DAY_LEVEL,
};

const DAY_ISSUE_MEANINGS: Readonly<Record<DayIssueCode, string>> = {
  UNKNOWN_METER: 'The meter has no topology version for the day.',
  SUM_CHECK_MISMATCH: 'A complete actual day disagrees with its DAILY register deltas.',
  REGISTER_DECREASED: 'A register went backwards; the registers are not used.',
  REGISTER_BELOW_ACTUALS: 'The register delta is below the fixed values; estimates not scaled.',
  REGISTER_SIGN_CONFLICT: 'Register remainder and estimates have opposite signs; not scaled.',
  STORM_SUSPENDED: 'Estimation suspended for the meter’s feeder or region (storm mode).',
  DUPLICATE_READ: 'Two reads for one slot reached VEE; the larger consumption was kept.',
  READ_OUTSIDE_DAY: 'Reads outside the local day were ignored.',
  EDIT_REJECTED: 'A manual edit was not applied (misaligned or not an integer Wh).',
};

/** Why an ESPI value the mapping does not use is not used (or where it would apply). */
const ESPI_UNUSED: Readonly<Record<number, string>> = {
  12: 'no: the platform does not forecast',
  13: 'for rollups of several classes',
  14: 'for provisional values',
  15: 'no: no weather normalisation',
  16: 'no',
  17: 'no: 0 already says "passed every check"',
  18: 'no: a read that failed a rule is never accepted as actual',
  19: 'no: the billing hold is a gate on a period, not a quality of a value',
};

const cell = (s: string) => s.replaceAll('|', '\\|');
const iecCell = (codes: readonly string[]) => (codes.length === 0 ? '—' : codes.join(' + '));
const gbCell = (v: number | null) => (v === null ? '—' : `${v} ${GREEN_BUTTON_QUALITIES[v]}`);

function row(kind: string, code: string, meaning: string, m: StandardQuality): string {
  return `| ${kind} | \`${code}\` | ${cell(meaning)} | ${iecCell(m.iec61968_9)} | ${gbCell(m.greenButton)} | ${cell(m.note)} |`;
}

/** The "Reading qualities" section of docs/reason-codes.md. */
export function readingQualitiesMarkdown(): string {
  const classes = QUALITY_MAPPING.map((m) => row(`class ${m.quality} / method`, m.method, m.meaning, m));
  const reasons = VEE_REASONS.map((r) => row('VEE reason', r, VEE_REASON_MEANINGS[r], REASON_MAPPING[r]));
  const issues = DAY_ISSUES.map((d) => row('day issue', d, DAY_ISSUE_MEANINGS[d], DAY_ISSUE_MAPPING[d]));
  const iec = Object.entries(IEC_CODES).map(
    ([code, c]) => `| ${code} | ${c.name} | ${c.sources.join(', ')} | ${c.caveat ?? ''} |`,
  );
  const espi = Object.entries(GREEN_BUTTON_QUALITIES).map(([v, name]) => {
    const used =
      QUALITY_MAPPING.some((m) => m.greenButton === Number(v)) ||
      Object.values(REASON_MAPPING).some((m) => m.greenButton === Number(v));
    return `| ${v} | ${name} | ${used ? 'yes' : (ESPI_UNUSED[Number(v)] ?? 'no')} |`;
  });
  return [
    '## Reading qualities: IEC 61968-9 and Green Button',
    '',
    'Generated from `packages/batch-layer/src/vee/reading-qualities.ts`. Every interval of',
    '`intervals_validated` has a quality class, a method and a reason (`packages/batch-layer/src/vee/codes.ts`);',
    'every rollup counts intervals per class (`actual`, `estimated`, `edited`, `missing`, `outage`), and so do',
    'the API’s `quality` and billing’s `intervals`. A head-end estimate (`estimated_flag: true`) is class E like',
    'a VEE estimate — counted in `estimated` and in the billing hold share — with its own method `HEAD_END` and',
    'reason `HEAD_END_ESTIMATE`. In provisional buckets (realtime view, not yet validated) an interval is',
    '`estimated` when its read carries the flag, else `actual`; Green Button would call such values 14 "raw".',
    'A rollup whose intervals have more than one class is Green Button 13 "mixed".',
    '',
    '| kind | code | meaning | IEC 61968-9 | Green Button | note |',
    '|---|---|---|---|---|---|',
    ...classes,
    ...reasons,
    ...issues,
    '',
    `DLQ and quarantine reasons (${REASON_CODE_LIST.map((c) => `\`${c}\``).join(', ')}): the message is`,
    'rejected before it becomes a reading, so neither standard has a reading quality for it (IEC 61968-9 would',
    'only express a failed check as a quality of a reading that exists).',
    '',
    '### IEC 61968-9 codes used',
    '',
    'The IEC 61968-9 text itself (its tables of ReadingQualityType values) is sold by the IEC and was not',
    'available; the numbers come from the published sources below. The system numbers (1 end device,',
    '2 metering system, 3 MDM) agree in connexo, netstream and aclara; "listed by" names the sources that',
    'give the whole code. A code listed by one source only should be checked against the utility’s',
    'IEC 61968-9 profile before files are exchanged.',
    '',
    '| code | system · category · subcategory | listed by | caveat |',
    '|---|---|---|---|',
    ...iec,
    '',
    '### Green Button QualityOfReading values',
    '',
    '| value | published name | used |',
    '|---|---|---|',
    ...espi,
    '',
    '### Sources',
    '',
    ...Object.entries(READING_QUALITY_SOURCES).map(([k, v]) => `- **${k}**: ${v}`),
    '',
  ].join('\n');
}
