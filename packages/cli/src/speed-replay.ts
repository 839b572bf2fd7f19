/**
 * `pnpm ami speed replay`: the command line of the speed layer's replay operation (`speedReplay` of
 * @ami/speed-layer), which rebuilds the provisional state (the realtime view in Redis) by replaying
 * the reads topic from the earliest offsets Kafka still retains — the recovery after Redis lost its
 * data (docs/operator-guide.md, section 11). It deletes the view (offset fences first) and rewinds
 * the speed layer's consumer group; started again, the speed layer applies everything Kafka
 * retains. Without --execute it only prints the plan (like kafka-consumer-groups --reset-offsets).
 * Rerunning is safe at any point.
 */
import { parseArgs } from 'node:util';
import { createKafka, createRedis } from '@ami/shared/clients';
import { loadConfig, readSettings } from '@ami/shared/config';
import {
  GroupActiveError,
  speedLayerSettings,
  speedReplay,
  type ReplayDeps,
  type ReplayReport,
  type TopicReset,
} from '@ami/speed-layer';

export { GroupActiveError, speedReplay, type ReplayDeps, type ReplayReport, type TopicReset };

/** A bad command line: one line on stderr, exit 2. */
export class UsageError extends Error {}

export const SPEED_HELP = `usage: pnpm ami speed <command> [options]

Operator commands of the speed layer.

commands:
  replay   rebuild the realtime view in Redis by replaying Kafka from the earliest retained offsets

Run \`pnpm ami speed replay --help\` for its options.`;

export const REPLAY_HELP = `usage: pnpm ami speed replay [--events] [--execute]

Rebuilds the provisional state (the realtime view in Redis) from Kafka, e.g. after Redis lost its
data. Stop every speed-layer process first: the consumer group (AMI_SPEED_GROUP_ID) must have no
members. Then this command
  1. deletes the realtime view under AMI_SPEED_KEY_PREFIX: each partition's offset fence first,
     then its meter-days, grid-days and day registry;
  2. sets the group's committed offsets on the reads topic to the earliest offsets Kafka retains.
Start the speed layer again: it applies every retained read once (reads of days beyond provisional
retention are skipped as usual; the batch layer serves them). Safe to run again at any point.

  --events    also reset the events topic: retained events are evaluated again, so alerts that
              Redis lost open again (same alert ids; their transitions go to the alert topics again)
  --execute   do it; without this flag nothing changes and the plan is printed`;

export type SpeedCommand =
  | { readonly kind: 'help'; readonly text: string }
  | { readonly kind: 'replay'; readonly events: boolean; readonly execute: boolean };

/** Parses the arguments after `speed`; throws UsageError (one line) when they are wrong. */
export function parseSpeedArgs(argv: readonly string[]): SpeedCommand {
  const [sub, ...rest] = argv;
  if (sub === undefined) throw new UsageError('missing command (replay); see pnpm ami speed --help');
  if (sub === '--help' || sub === '-h' || sub === 'help') return { kind: 'help', text: SPEED_HELP };
  if (sub !== 'replay') throw new UsageError(`unknown command "${sub}" (expected replay)`);
  let values: { events?: boolean; execute?: boolean; help?: boolean };
  try {
    values = parseArgs({
      args: [...rest],
      options: {
        events: { type: 'boolean' },
        execute: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    throw new UsageError(
      `replay: ${err instanceof Error ? err.message : String(err)} (see pnpm ami speed replay --help)`,
    );
  }
  if (values.help === true) return { kind: 'help', text: REPLAY_HELP };
  return { kind: 'replay', events: values.events === true, execute: values.execute === true };
}

/** The report as the lines the command prints. */
export function formatReplayReport(r: ReplayReport): string[] {
  const verb = r.executed ? 'deleted' : 'would delete';
  const lines = [
    `realtime view (prefix ${r.keyPrefix}): ${verb} ${r.fences} offset fence(s) and ${r.keys} other key(s)`,
  ];
  for (const t of r.topics) {
    let replay = 0n;
    for (const p of t.partitions) replay += BigInt(p.latest) - BigInt(p.earliest);
    lines.push(
      `group ${r.groupId}, topic ${t.topic}: ${r.executed ? 'offsets set' : 'would set offsets'} to the earliest retained (${replay} message(s) to replay)`,
    );
    for (const p of t.partitions)
      lines.push(
        `  partition ${p.partition}: committed ${p.committed ?? 'none'} -> ${p.earliest} (log end ${p.latest})`,
      );
  }
  lines.push(
    r.executed
      ? 'done: start the speed layer; it replays the retained messages into the realtime view'
      : 'dry run: nothing changed; run again with --execute to do it',
  );
  return lines;
}

export async function runSpeedCommand(argv: readonly string[]): Promise<number> {
  let command: SpeedCommand;
  try {
    command = parseSpeedArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`ami speed ${err.message}\n`);
    return 2;
  }
  if (command.kind === 'help') {
    process.stdout.write(`${command.text}\n`);
    return 0;
  }
  const config = loadConfig();
  const settings = readSettings({
    groupId: speedLayerSettings.groupId,
    keyPrefix: speedLayerSettings.keyPrefix,
  });
  const kafka = createKafka(config, { component: 'ami-cli' });
  const redis = createRedis(config, { connectionName: 'ami-cli' });
  try {
    const report = await speedReplay(
      { config, groupId: settings.groupId, keyPrefix: settings.keyPrefix, redis, kafka },
      command,
    );
    for (const line of formatReplayReport(report)) process.stdout.write(`${line}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof GroupActiveError)) throw err;
    process.stderr.write(`ami speed replay: ${err.message}\n`);
    return 1;
  } finally {
    redis.disconnect();
  }
}
