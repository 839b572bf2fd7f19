/**
 * `runService`: the life of a long-running process in one place.
 *
 *  1. load and validate the core configuration (one ConfigError naming every bad variable);
 *  2. `start` opens the clients, registering each one's close step as soon as it is open
 *     (`ctx.onClose`), starts the metrics/health server and the work (registering how to finish
 *     the in-flight work last, so that it runs first);
 *  3. on the first SIGTERM/SIGINT (or when the work ends on its own): log "stopping: …", run the
 *     close steps in reverse order of registration (each within its own deadline if it has one),
 *     then exit 0 — or 1 when a step failed, the work failed or the grace period
 *     (AMI_SHUTDOWN_GRACE_S) passed first; a second signal exits 1 at once (stop-signals.ts).
 *
 * A failure during start prints the error on stderr (a ConfigError: its message, which lists every
 * bad variable; anything else: its stack) and exits 1 without running the close steps.
 */
import { ConfigError, loadConfig, type AmiConfig } from '../config/index.ts';
import { createLogger, type Logger } from '../log.ts';
import { CloseStack, type CloseStepOptions } from './close-stack.ts';
import { onStopSignals, type StopHandle } from './stop-signals.ts';

export interface ServiceContext {
  readonly config: AmiConfig;
  readonly logger: Logger;
  /** The grace period of AMI_SHUTDOWN_GRACE_S, in ms. */
  readonly graceMs: number;
  /**
   * Registers how to close what was just opened (a client, a server) or how to finish the work
   * just started; on shutdown the steps run last registered first.
   */
  readonly onClose: (name: string, close: () => unknown, options?: CloseStepOptions) => void;
}

export interface ServiceRun {
  /**
   * Settles when the work ends on its own (e.g. a simulation's last interval): the process then
   * closes as after a signal, and exits 1 if it rejected.
   */
  readonly finished?: Promise<unknown>;
  /** Called once every step closed cleanly, just before exit 0 (default: logs "stopped"). */
  readonly stopped?: () => void;
}

export interface ServiceSpec {
  /** Service name: the `service` field of every log line and the prefix of a start failure. */
  readonly name: string;
  /** What the process does once stopped, for the "stopping: …" line (e.g. "flushing every buffer"). */
  readonly stopping: string;
  /** The process's logger (default: the pino JSON logger of log.ts at LOG_LEVEL). */
  readonly logger?: (config: AmiConfig) => Logger;
  start(ctx: ServiceContext): Promise<ServiceRun | void>;
}

/** Runs the service; the process ends through it (exit 0 after a clean stop, 1 otherwise). */
export function runService(spec: ServiceSpec): void {
  let config: AmiConfig;
  let logger: Logger;
  try {
    config = loadConfig();
    logger = spec.logger?.(config) ?? createLogger(spec.name, { level: config.runtime.logLevel });
  } catch (err) {
    exitStartFailed(spec.name, err);
    return;
  }
  const graceMs = config.runtime.shutdownGraceS * 1000;
  const closers = new CloseStack();
  let stopping = false;
  let runFailure: unknown;
  let run: ServiceRun | void = undefined;

  const handle: StopHandle = onStopSignals(
    { graceMs, logger, running: () => closers.running },
    async (signal) => {
      stopping = true;
      if (signal !== undefined) logger.info({ signal }, `stopping: ${spec.stopping}`);
      else logger.debug('the work ended: closing');
      const { failed } = await closers.closeAll(logger);
      if (runFailure !== undefined) throw new Error('the work failed', { cause: runFailure });
      if (failed.length > 0) throw new Error(`not closed cleanly: ${failed.join(', ')}`);
      if (run?.stopped) run.stopped();
      else logger.info('stopped');
    },
  );

  const ctx: ServiceContext = {
    config,
    logger,
    graceMs,
    onClose: (name, close, options) => closers.add(name, close, options),
  };
  spec.start(ctx).then(
    (started) => {
      run = started;
      started?.finished?.then(
        () => handle.stop(),
        (err: unknown) => {
          runFailure = err;
          logger.error({ err }, 'failed: closing');
          handle.stop();
        },
      );
    },
    (err: unknown) => {
      // A signal during start closes what was open; the start's own failure is then expected.
      if (stopping) {
        logger.debug({ err }, 'start interrupted by the stop');
        return;
      }
      handle.uninstall();
      exitStartFailed(spec.name, err);
    },
  );
}

function exitStartFailed(name: string, err: unknown): void {
  const text =
    err instanceof ConfigError
      ? err.message
      : err instanceof Error
        ? (err.stack ?? err.message)
        : String(err);
  process.stderr.write(`${name}: ${text}\n`);
  process.exit(1);
}
