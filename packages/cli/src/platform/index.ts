/**
 * @ami/cli/platform — the platform's processes as `pnpm ami up` runs them, for the cross-package
 * tests (end-to-end, chaos, scale-out, soak) so that they start exactly what a user starts: the
 * process specs and readiness probes, the development supervisor (spawn, restart with back-off, stop
 * in reverse order), Kafka offset helpers ("has this group consumed everything produced so far?"),
 * and `ami up`'s own settings.
 */
export {
  PLATFORM_ENTRIES,
  platformEnv,
  platformProcesses,
  readinessUrl,
  waitForHttp,
  type PlatformPorts,
  type PlatformProcess,
  type PlatformProcessOptions,
} from './processes.ts';
export {
  Supervisor,
  restartDelayMs,
  type ProcessSpec,
  type ProcessState,
  type ProcessStatus,
  type SupervisorOptions,
} from './supervisor.ts';
export { behindTarget, endOffsets, type OffsetSnapshot } from './offsets.ts';
export { upSettings } from './settings.ts';
