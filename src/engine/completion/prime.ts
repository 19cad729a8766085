/**
 * The priming text for a new document: the start of each other file (of the same language) that
 * is open, where imports, declarations and headings name what the new document is likely to use.
 * Each file gets an equal share of `maxChars`, cut back to a line end; the files are separated,
 * and the text ends, with a blank line, so the document reads as a new file.
 */
export function primeText(others: readonly string[], maxChars: number): string {
  const files = others.filter((t) => t.trim() !== '');
  if (!files.length || maxChars <= 0) return '';
  const share = Math.max(1, Math.floor(maxChars / files.length) - 2);
  const parts = files.map((t) => {
    if (t.length <= share) return t.trimEnd();
    const cut = t.lastIndexOf('\n', share);
    return (cut > 0 ? t.slice(0, cut) : t.slice(0, share)).trimEnd();
  });
  return parts.join('\n\n') + '\n\n';
}
