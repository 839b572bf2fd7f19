/**
 * Declarative environment settings: every setting has a name, a documented default and a parser.
 * `readSettings` reads a whole group at once and reports every bad variable in one error, so an
 * operator fixes the environment in one go instead of one variable per restart.
 */

export interface Setting<T> {
  /** Environment variable name, e.g. `KAFKA_BROKERS`. */
  readonly env: string;
  /** One line for the docs table and for error messages. */
  readonly doc: string;
  /** Default as shown in docs; a function when it depends on other variables (e.g. ports). */
  readonly default: string | ((env: Env) => string);
  /** Parses the raw string; throws an Error whose message says what is wrong. */
  readonly parse: (raw: string) => T;
}

export type Env = Readonly<Record<string, string | undefined>>;

export type SettingsSpec = Readonly<Record<string, Setting<unknown>>>;
export type SettingsOf<S extends SettingsSpec> = {
  readonly [K in keyof S]: S[K] extends Setting<infer T> ? T : never;
};

export interface SettingProblem {
  readonly env: string;
  readonly value: string;
  readonly problem: string;
}

export class ConfigError extends Error {
  readonly problems: readonly SettingProblem[];
  constructor(problems: readonly SettingProblem[]) {
    super(
      `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n` +
        problems.map((p) => `  ${p.env}=${JSON.stringify(p.value)}: ${p.problem}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export function setting<T>(
  env: string,
  doc: string,
  def: string | ((env: Env) => string),
  parse: (raw: string) => T,
): Setting<T> {
  return { env, doc, default: def, parse };
}

export function defaultOf(s: Setting<unknown>, env: Env): string {
  return typeof s.default === 'function' ? s.default(env) : s.default;
}

/** Reads every setting of `spec` from `env`; throws one ConfigError naming each bad variable. */
export function readSettings<S extends SettingsSpec>(spec: S, env: Env = process.env): SettingsOf<S> {
  const out: Record<string, unknown> = {};
  const problems: SettingProblem[] = [];
  for (const [key, s] of Object.entries(spec)) {
    const given = env[s.env];
    const raw = given === undefined || given === '' ? defaultOf(s, env) : given;
    try {
      out[key] = s.parse(raw);
    } catch (err) {
      problems.push({ env: s.env, value: raw, problem: err instanceof Error ? err.message : String(err) });
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return out as SettingsOf<S>;
}

// ---------------------------------------------------------------------------------------------
// Parsers

export const parse = {
  string:
    (opts: { nonEmpty?: boolean } = {}) =>
    (raw: string): string => {
      if (opts.nonEmpty && raw.trim() === '') throw new Error('must not be empty');
      return raw;
    },
  int:
    (min: number, max: number) =>
    (raw: string): number => {
      if (!/^-?\d+$/.test(raw.trim())) throw new Error('must be an integer');
      const n = Number(raw);
      if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
      return n;
    },
  number:
    (min: number, max: number) =>
    (raw: string): number => {
      const n = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(n)) throw new Error('must be a number');
      if (n < min || n > max) throw new Error(`must be between ${min} and ${max}`);
      return n;
    },
  port: (raw: string): number => parse.int(1, 65535)(raw),
  bool: (raw: string): boolean => {
    const v = raw.trim().toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new Error('must be true/false (or 1/0, yes/no, on/off)');
  },
  oneOf:
    <T extends string>(values: readonly T[]) =>
    (raw: string): T => {
      if (!(values as readonly string[]).includes(raw))
        throw new Error(`must be one of ${values.join(', ')}`);
      return raw as T;
    },
  url:
    (protocols: readonly string[]) =>
    (raw: string): string => {
      let u: URL;
      try {
        u = new URL(raw);
      } catch {
        throw new Error('must be a URL');
      }
      if (!protocols.includes(u.protocol)) throw new Error(`must use ${protocols.join(' or ')}`);
      return raw;
    },
  hostPortList: (raw: string): string[] => {
    const list = raw
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    if (list.length === 0) throw new Error('must list at least one host:port');
    for (const hp of list) {
      const m = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(hp);
      if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535) throw new Error(`"${hp}" is not host:port`);
    }
    return list;
  },
  timeZone: (raw: string): string => {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: raw });
    } catch {
      throw new Error('must be an IANA time zone such as Europe/Stockholm');
    }
    return raw;
  },
  logLevel: (raw: string) =>
    parse.oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const)(raw),
  /** S3 bucket naming rules (3–63 chars, lowercase letters, digits, dots, hyphens). */
  bucket: (raw: string): string => {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw)) throw new Error('must be a valid S3 bucket name');
    return raw;
  },
  topic: (raw: string): string => {
    if (!/^[A-Za-z0-9._-]{1,249}$/.test(raw)) throw new Error('must be a valid Kafka topic name');
    return raw;
  },
};
