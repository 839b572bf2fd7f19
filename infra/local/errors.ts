/**
 * Errors of the local infrastructure scripts. Both carry a message meant for a person at a
 * terminal: the CLI prints it as is, without a stack trace.
 */

/** Something in the environment or a service went wrong (missing tool, failed health check …). */
export class InfraError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'InfraError';
  }
}

/** Bad command-line arguments: one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
