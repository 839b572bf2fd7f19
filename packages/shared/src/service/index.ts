/**
 * @ami/shared/service — the scaffold of every long-running process (speed layer, archiver, batch
 * worker, API, live simulator). `runService({ name, stopping, start })` loads and validates the
 * configuration, lets `start` open the clients, the metrics/health server and the work (each
 * registering its close step), and on SIGTERM/SIGINT finishes the in-flight work and closes the
 * clients in reverse order of opening within AMI_SHUTDOWN_GRACE_S, then exits 0; a second signal,
 * a failed close step or the end of the grace period exits 1; a failure during start prints the
 * error and exits 1. The signal/grace handling is `close-with-grace`'s.
 */
export { runService, type ServiceContext, type ServiceRun, type ServiceSpec } from './run-service.ts';
export { CloseStack, type CloseOutcome, type CloseStepOptions } from './close-stack.ts';
export { onStopSignals, type StopHandle, type StopSignal, type StopSignalOptions } from './stop-signals.ts';
export { createCommandLineLogger } from './command-line-logger.ts';
