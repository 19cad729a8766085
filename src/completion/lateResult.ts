/**
 * A completion that came back after VS Code had stopped waiting for it. On a loaded machine the
 * worker's reply can take a second, and VS Code may cancel the request meanwhile without asking
 * again (nothing was typed), so the suggestion would be lost although the text and the cursor are
 * exactly as they were. The provider keeps such a reply here, asks VS Code to request again, and
 * answers that request from here at once. No `vscode` import: the unit tests drive it.
 */
export interface DocumentPlace {
  /** The document's URI, as a string. */
  uri: string;
  /** The document's version: any edit changes it. */
  version: number;
  /** The cursor's offset. */
  offset: number;
}

const samePlace = (a: DocumentPlace, b: DocumentPlace): boolean =>
  a.uri === b.uri && a.version === b.version && a.offset === b.offset;

export class LateResult<T> {
  private kept?: { at: DocumentPlace; value: T };

  /** Keeps `value` for the next request at exactly `at`; it replaces any value kept before. */
  keep(at: DocumentPlace, value: T): void {
    this.kept = { at, value };
  }

  /**
   * The value kept for `at`, once: taking it (or asking for any other place) forgets it, so a
   * stale one never answers after the user moved on, and a kept one never answers twice.
   */
  take(at: DocumentPlace): T | undefined {
    const kept = this.kept;
    this.kept = undefined;
    return kept && samePlace(kept.at, at) ? kept.value : undefined;
  }
}
