import * as vscode from 'vscode';

/** Colour buckets per scale: enough steps to read, few enough decoration types to stay cheap. */
const STEPS = 8;

/**
 * Fixed sets of decoration types (one per colour step) and the ranges each step paints. Values
 * are given per token with the token spans; consecutive tokens in the same step become one range.
 */
export class ColorScale implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];

  constructor(
    colors: (k: number) => vscode.DecorationRenderOptions,
    readonly steps: number,
  ) {
    this.types = Array.from({ length: steps }, (_, k) =>
      vscode.window.createTextEditorDecorationType(colors(k)),
    );
  }

  /** Paints `editor`; bucket(t) is a step in [0, steps) or −1 for none. Returns the painted ranges per step. */
  paint(
    editor: vscode.TextEditor,
    starts: Int32Array,
    ends: Int32Array,
    bucket: (t: number) => number,
  ): vscode.Range[][] {
    const doc = editor.document;
    const ranges: vscode.Range[][] = this.types.map(() => []);
    let open = -1;
    let from = 0;
    let to = 0;
    const flush = () => {
      if (open >= 0) ranges[open].push(new vscode.Range(doc.positionAt(from), doc.positionAt(to)));
    };
    for (let t = 0; t < starts.length; t++) {
      const b = bucket(t);
      if (b === open && starts[t] === to) {
        to = ends[t];
        continue;
      }
      flush();
      open = b;
      from = starts[t];
      to = ends[t];
    }
    flush();
    this.types.forEach((type, k) => editor.setDecorations(type, ranges[k]));
    return ranges;
  }

  clear(editor: vscode.TextEditor): void {
    for (const t of this.types) editor.setDecorations(t, []);
  }

  dispose(): void {
    for (const t of this.types) t.dispose();
  }
}

/** Surprise heatmap: transparent below 1 bit, then yellow to red up to 8+ bits. */
export function heatScale(): ColorScale {
  return new ColorScale((k) => {
    const hue = 55 - (55 * k) / (STEPS - 1);
    return {
      backgroundColor: `hsla(${hue.toFixed(0)}, 95%, 50%, ${(0.15 + (0.5 * k) / (STEPS - 1)).toFixed(2)})`,
    };
  }, STEPS);
}

/** The heat step of a surprisal in bits (−1: under a bit, not painted). */
export const heatStep = (bits: number): number =>
  !(bits >= 1) ? -1 : Math.min(STEPS - 1, Math.floor(((bits - 1) / 7) * STEPS));

/** Diverging: blue for negative, red for positive activations, stronger with |value|. */
export function divergingScale(): ColorScale {
  return new ColorScale((k) => {
    const neg = k < STEPS;
    const level = (neg ? STEPS - k : k - STEPS + 1) / STEPS;
    const rgb = neg ? '60, 120, 235' : '235, 70, 50';
    return { backgroundColor: `rgba(${rgb}, ${(0.1 + 0.55 * level).toFixed(2)})` };
  }, 2 * STEPS);
}

/** The diverging step of a value scaled by the largest magnitude (−1: too close to zero to paint). */
export function divergingStep(v: number, maxAbs: number): number {
  const x = maxAbs > 0 ? v / maxAbs : 0;
  const k = Math.min(STEPS, Math.round(Math.abs(x) * STEPS));
  if (k === 0) return -1;
  return x < 0 ? STEPS - k : STEPS + k - 1;
}

/** Saliency: a green underline, thicker and brighter where the gradient norm is larger. */
export function saliencyScale(): ColorScale {
  return new ColorScale((k) => {
    const level = (k + 1) / 5;
    return {
      borderStyle: 'none none solid none',
      borderWidth: `0 0 ${k < 2 ? 1 : k < 4 ? 2 : 3}px 0`,
      borderColor: `rgba(40, 190, 90, ${(0.25 + 0.75 * level).toFixed(2)})`,
    };
  }, 5);
}
