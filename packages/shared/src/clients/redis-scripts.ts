/**
 * Redis Lua scripts kept in `.lua` files and run through ioredis `defineCommand`: the one way the
 * platform runs a script. `redisScript(name, file)` reads the file once (pass
 * `new URL('./x.lua', import.meta.url)`, so the path is relative to the calling module) and
 * returns a handle that registers the script on a client the first time it runs there.
 *
 * ioredis does the caching and the fallback itself (node_modules/ioredis/built/Script.js,
 * ioredis 6): a registered command is sent as EVALSHA; the first time on a connection it is sent
 * as EVAL instead (which loads the script into that server), and a NOSCRIPT reply (server
 * restarted, SCRIPT FLUSH, failover) forgets that the connection had it and resends it as EVAL.
 * `Commander.defineCommand` (utils/Commander.js) installs `<name>` (string replies) and
 * `<name>Buffer` (bulk strings as Buffers) on the client. A Cluster client is a Commander too:
 * the command is routed by the slot of its first key like any other (so all keys of one call
 * must share one hash slot, as they do with the platform's hash tags), and each node's connection
 * loads the script on first use.
 */
import { readFileSync } from 'node:fs';
import type { RedisClient } from './redis.ts';

/** One ARGV value: strings and Buffers go as they are, numbers as their decimal text. */
export type RedisScriptArg = string | Buffer | number;

type ScriptFunction = (numKeys: number, ...keysAndArgs: RedisScriptArg[]) => Promise<unknown>;

/** A Lua script from a `.lua` file, runnable on any client (single Redis or Cluster). */
export interface RedisScript {
  /** The ioredis command name it is registered under (also `<name>Buffer`). */
  readonly name: string;
  /** The script's source, as read from its file. */
  readonly lua: string;
  /** Runs the script with `keys` (KEYS) and `args` (ARGV); bulk-string replies as strings. */
  run(redis: RedisClient, keys: readonly string[], args?: readonly RedisScriptArg[]): Promise<unknown>;
  /** As `run`, with bulk-string replies as Buffers (the `<name>Buffer` variant). */
  runBuffer(redis: RedisClient, keys: readonly string[], args?: readonly RedisScriptArg[]): Promise<unknown>;
}

/** The `<name>` and `<name>Buffer` functions of `name` on `redis`, defining them when missing. */
function commandsOn(redis: RedisClient, name: string, lua: string): [ScriptFunction, ScriptFunction] {
  const client = redis as unknown as Record<string, ScriptFunction | undefined>;
  if (client[name] === undefined) redis.defineCommand(name, { lua });
  const text = client[name];
  const buffer = client[`${name}Buffer`];
  if (text === undefined || buffer === undefined) throw new Error(`defineCommand did not register ${name}`);
  return [text.bind(redis), buffer.bind(redis)];
}

/** Source of every script name handed out in this process (a name means one script). */
const sources = new Map<string, string>();

/** A script handle for `lua`, registered under `name` on each client it runs on. */
export function redisScriptFromSource(name: string, lua: string): RedisScript {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(name)) throw new RangeError(`bad script command name: ${name}`);
  const known = sources.get(name);
  if (known !== undefined && known !== lua) throw new Error(`two different scripts named ${name}`);
  sources.set(name, lua);
  const defined = new WeakMap<RedisClient, [ScriptFunction, ScriptFunction]>();
  const on = (redis: RedisClient): [ScriptFunction, ScriptFunction] => {
    let fns = defined.get(redis);
    if (fns === undefined) {
      fns = commandsOn(redis, name, lua);
      defined.set(redis, fns);
    }
    return fns;
  };
  return {
    name,
    lua,
    run: (redis, keys, args = []) => on(redis)[0](keys.length, ...keys, ...args),
    runBuffer: (redis, keys, args = []) => on(redis)[1](keys.length, ...keys, ...args),
  };
}

/** A script handle for the `.lua` file at `file` (read once, now). */
export function redisScript(name: string, file: URL): RedisScript {
  return redisScriptFromSource(name, readFileSync(file, 'utf8'));
}
