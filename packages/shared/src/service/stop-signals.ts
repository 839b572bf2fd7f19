/**
 * The signal part of a process's shutdown, on `close-with-grace`: the first SIGTERM or SIGINT runs
 * `stop` once; the process exits 0 when it resolves and 1 when it rejects or has not settled after
 * the grace period; a second SIGTERM/SIGINT exits 1 at once. Only these two signals are handled:
 * other signals, uncaught errors and `beforeExit` keep Node's default behaviour.
 */
import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

export type StopSignal = 'SIGTERM' | 'SIGINT';

export interface StopSignalOptions {
  /** Time `stop` has before the process exits 1 regardless. */
  readonly graceMs: number;
  readonly logger: Logger;
  /** Names what was running when the grace period passed (for the log line). */
  readonly running?: () => string | undefined;
}

export interface StopHandle {
  /** Starts the stop without a signal (the work ended on its own); `stop` gets no signal. */
  stop(): void;
  /** Removes the signal handlers (a process that fails to start exits on its own). */
  uninstall(): void;
}

/** Everything close-with-grace listens to except SIGTERM and SIGINT. */
const NOT_HANDLED: NonNullable<closeWithGrace.Options['skip']> = [
  'SIGHUP',
  'SIGQUIT',
  'SIGILL',
  'SIGTRAP',
  'SIGABRT',
  'SIGBUS',
  'SIGFPE',
  'SIGSEGV',
  'SIGUSR2',
  'uncaughtException',
  'unhandledRejection',
  'beforeExit',
];

/** Installs the SIGTERM/SIGINT handling; `stop` runs at most once. */
export function onStopSignals(
  options: StopSignalOptions,
  stop: (signal: StopSignal | undefined) => Promise<void>,
): StopHandle {
  const { logger } = options;
  // close-with-grace runs its handler again for a manual close() during a signal's close (the work
  // ended because the close stopped it): the second run must wait for the first, not exit on its own.
  let stopping: Promise<void> | undefined;
  const stopOnce = (signal: StopSignal | undefined): Promise<void> => (stopping ??= stop(signal));
  const handle = closeWithGrace(
    {
      delay: options.graceMs,
      skip: NOT_HANDLED,
      logger: {
        error: (detail: unknown) =>
          logger.error(detail instanceof Error ? { err: detail } : { detail }, 'exiting with code 1'),
      },
      onSecondSignal: (signal) => logger.error({ signal }, 'second signal: exiting at once with code 1'),
      onTimeout: (delay) =>
        logger.error(
          { graceS: delay / 1000, step: options.running?.() },
          'shutdown grace period passed: exiting with code 1',
        ),
    },
    ({ signal }) => stopOnce(signal === 'SIGTERM' || signal === 'SIGINT' ? signal : undefined),
  );
  return { stop: () => handle.close(), uninstall: () => handle.uninstall() };
}
