/**
 * What the dashboard's attention heatmap shows of an attention map, without the DOM (the webview
 * draws it, the unit tests check it): printable labels for the pieces and a row per output piece.
 */
import type { AttentionMap } from '../engine/events';

const VISIBLE: Record<string, string> = { ' ': '␣', '\t': '⇥', '\n': '↵' };

/** A piece as a column or row label: whitespace made visible, long pieces cut to 12 characters. */
export function pieceLabel(p: string): string {
  const shown = [...p].map((c) => VISIBLE[c] ?? c).join('');
  return [...shown].length > 12 ? `${[...shown].slice(0, 11).join('')}…` : shown || '∅';
}

export interface HeatmapCells {
  columns: string[];
  /** One per output piece: its label and its weights over the source pieces (a row sums to 1). */
  rows: { label: string; weights: number[] }[];
  /** The source piece each output piece attended to most (its index in `columns`). */
  peaks: number[];
}

/** The heatmap of one translation: a row per output piece, a column per source piece. */
export function heatmapCells(a: AttentionMap): HeatmapCells {
  const rows = a.output.map((o, i) => ({ label: pieceLabel(o), weights: a.weights[i] ?? [] }));
  return {
    columns: a.source.map(pieceLabel),
    rows,
    peaks: rows.map((r) => r.weights.reduce((best, w, j) => (w > r.weights[best] ? j : best), 0)),
  };
}
