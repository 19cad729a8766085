import { Command } from 'commander';
import { parseFeatureRegex } from '../engine/inspect/features';
import { inspectFile, type FileInspection } from '../engine/inspect/report';
import { int, list } from './options';

export function registerInspect(program: Command): void {
  program
    .command('inspect <checkpoint> <file>')
    .description(
      "look inside a model on a file: surprisal per position, chosen units' activations, units ranked by correlation with text features, gate saturation",
    )
    .option('--units <list>', 'units to print: 12,40 (layer 0) or h1.40,c0.3', list)
    .option('--regex <pattern>', 'also rank units against "inside a match of this pattern"')
    .option('--top <n>', 'units listed per feature', int('--top'), 5)
    .option('--positions <n>', 'positions printed (all with --json)', int('--positions'), 200)
    .option('--json', 'print one JSON object')
    .action(
      async (
        checkpoint: string,
        file: string,
        f: { units?: string[]; regex?: string; top: number; positions: number; json?: boolean },
      ) => {
        const r = await inspectFile(checkpoint, file, {
          units: f.units,
          regex: f.regex === undefined ? undefined : parseFeatureRegex(f.regex, '--regex'),
          top: f.top,
        });
        if (f.json) console.log(JSON.stringify(r));
        else console.log(formatInspection(r, f.positions));
      },
    );
}

const show = (s: string) => JSON.stringify(s).slice(1, -1);

/** The human-readable report: positions, feature table, gate saturation. */
export function formatInspection(r: FileInspection, maxPositions: number): string {
  const out: string[] = [];
  out.push(
    `${r.file}: ${r.tokens} tokens, mean surprisal ${r.mean_surprisal_bits.toFixed(3)} bits per token`,
  );
  const unitNames = Object.keys(r.positions[0]?.units ?? {});
  out.push('', ['pos', 'token', 'bits', ...unitNames].join('\t'));
  for (const p of r.positions.slice(0, maxPositions))
    out.push(
      [p.t, show(p.text), p.surprisal_bits.toFixed(2), ...unitNames.map((u) => p.units[u].toFixed(3))].join(
        '\t',
      ),
    );
  if (r.positions.length > maxPositions)
    out.push(`… ${r.positions.length - maxPositions} more (--positions, or --json)`);
  out.push('', 'Units by correlation with text features (r: Pearson, over the positions):');
  for (const [, v] of Object.entries(r.features))
    out.push(
      `  ${v.label.padEnd(24)} ${v.top.map((u) => `${u.unit} ${u.r >= 0 ? '+' : ''}${u.r.toFixed(2)}`).join('  ')}`,
    );
  if (r.saturation.length) {
    out.push(
      '',
      'Gate saturation (fraction of positions < 0.1 | > 0.9, mean over units; units mostly saturated):',
    );
    for (const g of r.saturation) {
      const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
      const sat = g.left.filter((l, j) => l + g.right[j] > 0.5).length;
      out.push(
        `  layer ${g.layer} ${g.gate.padEnd(7)} left ${mean(g.left).toFixed(2)}  right ${mean(g.right).toFixed(2)}  ${sat}/${g.left.length} units saturated over half the time`,
      );
    }
  }
  return out.join('\n');
}
