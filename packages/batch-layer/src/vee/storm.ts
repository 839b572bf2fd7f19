/**
 * Storm mode (pure): when the read rate of a feeder or region collapses — at least
 * `stormMissingShare` of its meters (and at least `stormMinMeters` meters in it) missed the day —
 * estimation is suspended there: those meters' gaps stay X (reason STORM_SUSPENDED). An operator's
 * release list (`feeder:<id>` / `region:<id>`) lifts the suspension; when data arrives the counts
 * change and the next rebuild decides again.
 */
export type StormLevel = 'feeder' | 'region';

export interface StormGroupCount {
  readonly level: StormLevel;
  readonly id: string;
  /** Active meters of the group on the day (topology). */
  readonly meters: number;
  /** Of them, meters that missed the day (see meterMissedDay). */
  readonly missingMeters: number;
}

export interface StormParams {
  readonly stormMissingShare: number;
  readonly stormMinMeters: number;
}

export interface StormGroupDecision extends StormGroupCount {
  readonly missingShare: number;
  /** The counts meet the storm condition. */
  readonly storm: boolean;
  /** An operator released the group. */
  readonly released: boolean;
  /** storm && !released: estimation suspended. */
  readonly suspended: boolean;
}

export interface StormDecision {
  readonly groups: readonly StormGroupDecision[];
  /** Keys `feeder:<id>` / `region:<id>` of suspended groups. */
  readonly suspended: ReadonlySet<string>;
}

export const stormKey = (level: StormLevel, id: string): string => `${level}:${id}`;

/** A meter missed the day when none of its interval reads arrived. */
export function meterMissedDay(intervalReads: number): boolean {
  return intervalReads === 0;
}

export function decideStorm(
  counts: readonly StormGroupCount[],
  releases: ReadonlySet<string>,
  p: StormParams,
): StormDecision {
  const suspended = new Set<string>();
  const groups = counts.map((c) => {
    const missingShare = c.meters > 0 ? c.missingMeters / c.meters : 0;
    const storm = c.meters >= p.stormMinMeters && missingShare >= p.stormMissingShare;
    const key = stormKey(c.level, c.id);
    const released = releases.has(key);
    const isSuspended = storm && !released;
    if (isSuspended) suspended.add(key);
    return { ...c, missingShare, storm, released, suspended: isSuspended };
  });
  return { groups, suspended };
}

/** Whether estimation is suspended for a meter of feeder `feederId` in region `region`. */
export function isStormSuspended(
  decision: StormDecision,
  meter: { readonly feederId: string; readonly region: string },
): boolean {
  return (
    decision.suspended.has(stormKey('feeder', meter.feederId)) ||
    decision.suspended.has(stormKey('region', meter.region))
  );
}
