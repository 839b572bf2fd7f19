/**
 * Meter event codes (SPEC 3.3). The table is configuration: the built-in default is the SPEC's table;
 * `AMI_EVENT_CODES_FILE` (see config.ts) replaces it with a JSON array of EventCodeDef objects.
 *
 * `outage` says how an event takes part in outage handling: 'opens' (last gasp: counted by the
 * TRANSFORMER_OUTAGE rule and starts an outage span for VEE outage fill), 'clears' (power restored:
 * clears the alert and ends the span) or 'none'. `alert` says whether the speed layer raises an EVENT
 * alert for it (the seed's rule: 3840, 3841, 3842, 2048, 2049, 1024 — not POWER_RESTORED).
 */
import { Type, type Static } from '@sinclair/typebox';
import { GRID_ALERT_TYPES } from './alert-types.ts';
import { SeveritySchema } from './severity.ts';

export const EventCodeDefSchema = Type.Object(
  {
    code: Type.Integer({ minimum: 0, maximum: 2_147_483_647, description: 'Head-end event code' }),
    name: Type.String({
      pattern: '^[A-Z][A-Z0-9_]{0,63}$',
      description: 'Upper-case identifier; also the alert type of EVENT alerts for this code',
    }),
    description: Type.String({ maxLength: 200 }),
    severity: SeveritySchema,
    outage: Type.Union([Type.Literal('opens'), Type.Literal('clears'), Type.Literal('none')], {
      description: "'opens' = last gasp, 'clears' = power restored, 'none' = no outage semantics",
    }),
    alert: Type.Boolean({ description: 'Raise an EVENT alert when this code arrives' }),
  },
  { additionalProperties: false },
);
export type EventCodeDef = Static<typeof EventCodeDefSchema>;

/** Format of AMI_EVENT_CODES_FILE. */
export const EventCodeFileSchema = Type.Array(EventCodeDefSchema, { minItems: 1, maxItems: 10_000 });

/** SPEC 3.3's table. */
export const DEFAULT_EVENT_CODES: readonly EventCodeDef[] = [
  {
    code: 3840,
    name: 'POWER_OUTAGE',
    description: 'Last gasp: the meter lost supply',
    severity: 'CRITICAL',
    outage: 'opens',
    alert: true,
  },
  {
    code: 3841,
    name: 'PHASE_LOSS',
    description: 'Loss of one or more phases',
    severity: 'CRITICAL',
    outage: 'none',
    alert: true,
  },
  {
    code: 3842,
    name: 'NEUTRAL_LOSS',
    description: 'Loss of the neutral conductor',
    severity: 'CRITICAL',
    outage: 'none',
    alert: true,
  },
  {
    code: 3843,
    name: 'POWER_RESTORED',
    description: 'Supply restored after an outage',
    severity: 'INFO',
    outage: 'clears',
    alert: false,
  },
  {
    code: 2048,
    name: 'TAMPER_COVER_OPEN',
    description: 'Meter cover or terminal cover opened',
    severity: 'WARNING',
    outage: 'none',
    alert: true,
  },
  {
    code: 2049,
    name: 'TAMPER_MAGNETIC',
    description: 'Strong magnetic field detected at the meter',
    severity: 'WARNING',
    outage: 'none',
    alert: true,
  },
  {
    code: 1024,
    name: 'REVERSE_ENERGY_FLOW',
    description: 'Energy flowing from the premises to the grid on a non-prosumer meter',
    severity: 'WARNING',
    outage: 'none',
    alert: true,
  },
];

/** Lookup over a validated event code table. */
export interface EventCodeTable {
  /** Every definition, in the order given. */
  readonly codes: readonly EventCodeDef[];
  /** Definition of `code`, or undefined for a code not in the table. */
  get(code: number): EventCodeDef | undefined;
  /** Definition with name `name`, or undefined. */
  byName(name: string): EventCodeDef | undefined;
  /** Codes with outage 'opens' (last gasps). */
  readonly outageOpening: ReadonlySet<number>;
  /** Codes with outage 'clears' (restores). */
  readonly outageClearing: ReadonlySet<number>;
}

/**
 * Builds the lookup; throws an Error naming the problem when codes or names repeat, or a name
 * collides with a grid alert type (EVENT alerts use the event name as their alert type).
 */
export function buildEventCodeTable(defs: readonly EventCodeDef[]): EventCodeTable {
  const byCode = new Map<number, EventCodeDef>();
  const byName = new Map<string, EventCodeDef>();
  const gridTypes: ReadonlySet<string> = new Set(GRID_ALERT_TYPES);
  const frozen: readonly EventCodeDef[] = Object.freeze(defs.map((d) => Object.freeze({ ...d })));
  for (const def of frozen) {
    if (byCode.has(def.code)) throw new Error(`event code ${def.code} is defined twice`);
    if (byName.has(def.name)) throw new Error(`event name ${def.name} is used by two codes`);
    if (gridTypes.has(def.name)) {
      throw new Error(`event name ${def.name} collides with the grid alert type of the same name`);
    }
    byCode.set(def.code, def);
    byName.set(def.name, def);
  }
  return {
    codes: frozen,
    get: (code) => byCode.get(code),
    byName: (name) => byName.get(name),
    outageOpening: new Set(frozen.filter((d) => d.outage === 'opens').map((d) => d.code)),
    outageClearing: new Set(frozen.filter((d) => d.outage === 'clears').map((d) => d.code)),
  };
}

/** The table of SPEC 3.3. */
export const defaultEventCodeTable: EventCodeTable = buildEventCodeTable(DEFAULT_EVENT_CODES);
