/**
 * A failure the user can act on. `where` names the file, folder, flag or setting at fault and
 * `hint` says what to do; the CLI and the extension print these without a stack trace.
 */
export class SeqLabError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly where?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SeqLabError';
  }

  /** One line: what went wrong, where, and what to do. */
  describe(): string {
    const parts = [this.message];
    if (this.where && !this.message.includes(this.where)) parts.push(`(${this.where})`);
    if (this.hint) parts.push(`— ${this.hint}`);
    return parts.join(' ');
  }
}

export function describeError(err: unknown): string {
  if (err instanceof SeqLabError) return err.describe();
  if (err instanceof Error) return err.message;
  return String(err);
}
