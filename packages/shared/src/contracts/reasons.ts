/**
 * Machine-readable reasons for rejecting a message. The speed layer writes them into DLQ records,
 * the archiver into `quarantine/`, the batch layer's VEE reuses them for the same faults, and metrics
 * count by them. REASON_CODES is the documented table (code → meaning → which simulator fault of
 * SPEC 8 produces it); SPEC8_FAULTS_NOT_REJECTED lists the faults that are deliberately *not*
 * rejections at the schema stage and who handles them instead.
 *
 * Checks run in a fixed order and the first failure is reported, so one message has one reason:
 * MESSAGE_TOO_LARGE → MALFORMED_JSON → NOT_AN_OBJECT → DUPLICATE_KEY → SCHEMA_VIOLATION →
 * BAD_TIMESTAMP → OUT_OF_RANGE (implausibly old instant) → MISALIGNED_INTERVAL / BAD_INTERVAL_LENGTH /
 * BAD_REGISTER_INSTANT → FUTURE_TIMESTAMP → OUT_OF_RANGE (read_ts order, energy, voltage) →
 * NET_MISMATCH; for events … → BAD_TIMESTAMP → OUT_OF_RANGE → FUTURE_TIMESTAMP → UNKNOWN_EVENT_CODE.
 * UNKNOWN_METER comes from a separate topology check (checkKnownMeter) after validation, and
 * WRONG_PARTITION from the speed layer's partition check (checkMeterPartition) after that.
 */

export const REASON_CODES = {
  MESSAGE_TOO_LARGE: {
    appliesTo: ['read', 'event'],
    meaning: 'The message is larger than the configured maximum (AMI_MAX_MESSAGE_BYTES); it is not parsed.',
    producedBy: 'schema violations (oversized payloads); a misbehaving head-end',
  },
  MALFORMED_JSON: {
    appliesTo: ['read', 'event'],
    meaning: 'The bytes are not valid JSON (truncated, garbage, empty, invalid escapes).',
    producedBy: 'malformed JSON',
  },
  NOT_AN_OBJECT: {
    appliesTo: ['read', 'event'],
    meaning: 'Valid JSON, but not an object (array, string, number, boolean or null).',
    producedBy: 'malformed JSON (e.g. a bare value or an array of reads)',
  },
  DUPLICATE_KEY: {
    appliesTo: ['read', 'event'],
    meaning:
      'Valid JSON, but one object writes the same key twice (e.g. "consumption_kwh" twice): JSON.parse would silently keep the last value, so which one the head-end meant is unknown. `path` points at the second occurrence.',
    producedBy:
      'schema violations (duplicated keys); a head-end or bridge that appends a field instead of replacing it',
  },
  SCHEMA_VIOLATION: {
    appliesTo: ['read', 'event'],
    meaning:
      'The object does not match the schema: a missing or unknown field, a wrong type, null where not allowed, an unknown read_type, an id outside the charset or too long. `path` is the JSON pointer and `keyword` the JSON-Schema keyword that failed.',
    producedBy: 'schema violations',
  },
  BAD_TIMESTAMP: {
    appliesTo: ['read', 'event'],
    meaning:
      'interval_start, interval_end, read_ts or event_ts is not an ISO-8601 instant with an explicit offset (Z or ±HH:MM), or names an impossible date or time.',
    producedBy: 'schema violations (timestamps without offset, local times, epoch numbers as strings)',
  },
  MISALIGNED_INTERVAL: {
    appliesTo: ['read'],
    meaning:
      'An INTERVAL read whose interval_start is not on a :00/:15/:30/:45 boundary (to the millisecond).',
    producedBy: 'schema violations (misaligned intervals)',
  },
  BAD_INTERVAL_LENGTH: {
    appliesTo: ['read'],
    meaning: 'An INTERVAL read whose interval_end is not interval_start + 15 minutes.',
    producedBy: 'schema violations (wrong interval length)',
  },
  BAD_REGISTER_INSTANT: {
    appliesTo: ['read'],
    meaning:
      'A DAILY register read whose interval_start differs from interval_end, or is not the first instant (midnight) of a local day in AMI_TIMEZONE.',
    producedBy: 'schema violations (register reads at the wrong instant)',
  },
  FUTURE_TIMESTAMP: {
    appliesTo: ['read', 'event'],
    meaning:
      'interval_start, read_ts or event_ts is later than now + the allowed clock skew (AMI_MAX_FUTURE_SKEW_S, default 300 s).',
    producedBy: 'future timestamps',
  },
  NET_MISMATCH: {
    appliesTo: ['read'],
    meaning:
      'consumption_kwh ≠ delivered_kwh − received_kwh, compared in integer Wh (kwhToWh of each) with a tolerance of AMI_READ_NET_TOLERANCE_WH (default 1 Wh, the most that independent rounding of the three values can explain).',
    producedBy: 'out-of-range values (inconsistent registers)',
  },
  OUT_OF_RANGE: {
    appliesTo: ['read', 'event'],
    meaning:
      'A value outside hard physical bounds: negative delivered/received, |interval energy| above AMI_READ_MAX_INTERVAL_KWH, a register above AMI_READ_MAX_REGISTER_KWH, voltage outside [AMI_READ_MIN_VOLTAGE_V, AMI_READ_MAX_VOLTAGE_V], read_ts before interval_end, or an instant before AMI_MIN_PLAUSIBLE_DATE. Soft per-segment limits are VEE rules, not rejections.',
    producedBy: 'out-of-range values',
  },
  UNKNOWN_EVENT_CODE: {
    appliesTo: ['event'],
    meaning: 'event_code is not in the configured event code table (AMI_EVENT_CODES_FILE).',
    producedBy: 'schema violations (unknown event codes)',
  },
  UNKNOWN_METER: {
    appliesTo: ['read', 'event'],
    meaning:
      'meter_id has no topology version active at the read’s interval_start (or the event’s event_ts); reported by checkKnownMeter, not by the schema.',
    producedBy: 'unknown meters',
  },
  WRONG_PARTITION: {
    appliesTo: ['read'],
    meaning:
      'An INTERVAL read on a reads-topic partition other than its meter’s: the one the configured partitioner (AMI_KAFKA_PARTITIONER: murmur2, crc32 or fnv1a; ADR 0011) gives its meter_id. Either the message key is not its meter_id (none, empty or another), or it is and the head-end’s producer uses another partitioner than the configured one; the detail says which, and names the partitioners that would have placed the read where it arrived. The speed layer keeps each meter’s intervals under one partition — latest-wins, the exactly-once fence and grid sums depend on it — so it dead-letters the read (reported by checkMeterPartition); the archiver archives it, since the batch latest-wins rule is global.',
    producedBy:
      'a head-end or bridge that keys reads by something other than meter_id (no key, an empty or another key), or whose producer partitioner is not AMI_KAFKA_PARTITIONER (e.g. librdkafka’s default crc32 `consistent_random` with the default murmur2)',
  },
} as const satisfies Record<
  string,
  { readonly appliesTo: readonly ('read' | 'event')[]; readonly meaning: string; readonly producedBy: string }
>;

export type ReasonCode = keyof typeof REASON_CODES;
export const REASON_CODE_LIST = Object.keys(REASON_CODES) as readonly ReasonCode[];

/**
 * Faults of SPEC 8 that are *not* rejected by the schema stage, and what handles them. They produce
 * valid messages; rejecting them would lose real data.
 */
export const SPEC8_FAULTS_NOT_REJECTED: Readonly<Record<string, string>> = {
  'missing intervals and gaps':
    'absence is not a message: speed layer receipt rates / METER_COMM_LOSS, batch VEE estimation',
  duplicates: 'identity + latest-wins rule (compareReadVersions): an identical duplicate changes nothing',
  'corrections (re-reads with later read_ts)':
    'identity + latest-wins rule: the later read_ts wins in both layers',
  'late arrival': 'event-time watermarks (speed layer) and dirty-day rebuilds (batch layer)',
  'out-of-order': 'latest-wins is order-independent; watermarks bound lateness',
  'soft range limits per segment': 'batch VEE range rule (flags and estimates), configurable per segment',
  spikes: "batch VEE spike rule against the meter's recent history",
  'stuck-at-zero meters': 'batch VEE stuck-at-zero run rule',
  'tamper and reverse-energy events': 'valid events: EVENT alerts',
  'outages of whole transformers': 'valid events: TRANSFORMER_OUTAGE alert, VEE outage fill',
};

/** A rejected message: the reason code plus a human-readable detail and where in the message. */
export interface ValidationFailure {
  readonly ok: false;
  readonly reason: ReasonCode;
  /** One line: what is wrong, without echoing large parts of the message. */
  readonly detail: string;
  /** JSON pointer of the offending field ('/interval_start'), when there is one. */
  readonly path?: string;
  /** For SCHEMA_VIOLATION: the JSON-Schema keyword that failed ('required', 'type', 'maxLength', …). */
  readonly keyword?: string;
}

export function failure(
  reason: ReasonCode,
  detail: string,
  path?: string,
  keyword?: string,
): ValidationFailure {
  if (path === undefined) return { ok: false, reason, detail };
  if (keyword === undefined) return { ok: false, reason, detail, path };
  return { ok: false, reason, detail, path, keyword };
}

/** The reason table as Markdown (for docs/ and `--help`). */
export function reasonCodeTableMarkdown(): string {
  const rows = REASON_CODE_LIST.map((code) => {
    const r = REASON_CODES[code];
    return `| \`${code}\` | ${r.appliesTo.join(', ')} | ${r.meaning} | ${r.producedBy} |`;
  });
  const notRejected = Object.entries(SPEC8_FAULTS_NOT_REJECTED).map(([fault, by]) => `| ${fault} | ${by} |`);
  return [
    '| reason | applies to | meaning | SPEC 8 fault that produces it |',
    '|---|---|---|---|',
    ...rows,
    '',
    '| SPEC 8 fault not rejected by the schema | handled by |',
    '|---|---|',
    ...notRejected,
  ].join('\n');
}
