import { inject } from 'vitest';
import { loadConfig, type AmiConfig } from '@ami/shared/config';

/** Configuration of the real services the global setup brought up. */
export function integrationConfig(overrides: Record<string, string> = {}): AmiConfig {
  return loadConfig({ ...process.env, ...inject('infraEnv'), ...overrides });
}

/** A name unique to this test run, for topics, groups, keys and prefixes. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}
