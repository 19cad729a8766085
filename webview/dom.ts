/** Small DOM and theme helpers shared by the dashboard's parts. */

export const el = <K extends keyof HTMLElementTagNameMap>(
  tag: K,
  cls?: string,
  text?: string,
): HTMLElementTagNameMap[K] => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** A theme colour from VS Code's CSS variables, read now (themes change while the panel is open). */
export const css = (name: string, fallback: string): string =>
  getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

let probe: CanvasRenderingContext2D | null | undefined;

/**
 * A colour as opaque `#rrggbb`. Themes may give a chart colour with an alpha (`#d1861680`); the
 * charts append their own alpha (`color + '44'` for a band), which would make that invalid (and
 * the curve invisible), and the swatches would look brown instead of orange.
 */
export function opaque(c: string): string {
  probe ??= document.createElement('canvas').getContext('2d');
  if (!probe) return c;
  probe.fillStyle = '#000000';
  probe.fillStyle = c;
  const v = String(probe.fillStyle);
  if (v.startsWith('#')) return v;
  const rgb = v.match(/[\d.]+/g)?.slice(0, 3);
  return rgb?.length === 3
    ? '#' + rgb.map((n) => Math.round(Number(n)).toString(16).padStart(2, '0')).join('')
    : c;
}

/** One colour per overlaid run, in selection order; the runs table and every chart agree on it. */
export const palette = (): string[] =>
  [
    '--vscode-charts-blue',
    '--vscode-charts-orange',
    '--vscode-charts-green',
    '--vscode-charts-purple',
    '--vscode-charts-red',
    '--vscode-charts-yellow',
  ].map((v, i) => opaque(css(v, ['#3794ff', '#d18616', '#89d185', '#b180d7', '#f14c4c', '#cca700'][i])));
