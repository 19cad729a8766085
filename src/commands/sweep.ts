import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { parseSeqlabJson } from '../config/flatConfig';
import { describeError } from '../engine/errors';
import { RUN_FILES } from '../engine/runFolder';
import {
  parseSpace,
  parseSweepSection,
  planSweep,
  previewSweep,
  PRUNE_RULES,
  runSweepDir,
  spaceText,
  SweepRequest,
  SweepSettings,
  writeSweepTable,
} from '../engine/sweep';
import { CommandContext, requireTrust } from './context';
import { pickFolder } from './prompts';
import { configFor, outputRoot } from './training';

/** The seqlab.json `sweep` section of a folder, if it has one. */
function sweepSection(folder: string): SweepSettings {
  const file = path.join(folder, 'seqlab.json');
  if (!fs.existsSync(file)) return {};
  const json = parseSeqlabJson(fs.readFileSync(file, 'utf8'), file);
  return json.sweep === undefined ? {} : parseSweepSection(json.sweep, file);
}

/** "Starts 8 runs, 2 at once", or why the request cannot start. */
function preview(r: SweepRequest): { ok: boolean; text: string } {
  try {
    const p = previewSweep(r);
    return { ok: true, text: `Starts ${p.count} run${p.count === 1 ? '' : 's'}, ${p.parallel} at once` };
  } catch (err) {
    return { ok: false, text: describeError(err) };
  }
}

/**
 * "SeqLab: Start Sweep…": the folder's config (seqlab.json, else a preset) as the base, a search
 * space and seeds typed with a live preview of how many runs that makes, a pruning rule, then the
 * sweep trains in child processes (the extension host only schedules them) with a cancellable
 * progress; its runs appear grouped under it in the Checkpoints tree.
 */
export async function sweepCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | { folder: string; grid: string; seeds?: number; prune?: SweepRequest['prune'] },
): Promise<{ dir: string; status: string } | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  const folder =
    (arg instanceof vscode.Uri ? arg.fsPath : args?.folder) ??
    (await pickFolder('SeqLab: sweep on which folder?'))?.fsPath;
  if (!folder) return undefined;
  const base = await configFor(folder, args ? { folder, preset: 'tiny' } : undefined);
  if (!base) return undefined;
  const section = sweepSection(folder);
  const request = (grid: string, seeds: number): SweepRequest => ({
    ...section,
    folder,
    out: outputRoot(folder),
    base,
    space: parseSpace(grid),
    seeds,
  });
  let grid = args?.grid;
  let seeds = args?.seeds ?? section.seeds ?? 1;
  if (grid === undefined) {
    grid = await vscode.window.showInputBox({
      title: 'SeqLab: Start Sweep — search space',
      prompt: 'key=values separated by spaces; seqlab.json keys (cell, hidden, lr, layers, dropout, …)',
      value: section.space ? spaceText(section.space) : 'cell=lstm,gru hidden=64,128',
      validateInput: (v) => {
        const p = preview(request(v, seeds));
        return p.ok ? { message: p.text, severity: vscode.InputBoxValidationSeverity.Info } : p.text;
      },
    });
    if (grid === undefined) return undefined;
    const s = await vscode.window.showInputBox({
      title: 'SeqLab: Start Sweep — seeds per point',
      value: String(seeds),
      validateInput: (v) => {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) return 'A whole number ≥ 1';
        const p = preview(request(grid!, n));
        return p.ok ? { message: p.text, severity: vscode.InputBoxValidationSeverity.Info } : p.text;
      },
    });
    if (s === undefined) return undefined;
    seeds = Number(s);
  }
  let prune = args?.prune ?? section.prune;
  if (!args) {
    const pick = await vscode.window.showQuickPick(
      PRUNE_RULES.map((r) => ({
        label: r,
        description:
          r === 'median'
            ? 'stop a run worse than the median of the others at the same step'
            : r === 'asha'
              ? 'successive halving: keep the top third at each rung'
              : 'train every run to the end',
        picked: r === (section.prune ?? 'none'),
      })),
      { title: 'SeqLab: Start Sweep — early stopping' },
    );
    if (!pick) return undefined;
    prune = pick.label as SweepRequest['prune'];
  }
  const req = { ...request(grid, seeds), prune };
  const p = previewSweep(req);
  if (!args) {
    const go = await vscode.window.showInformationMessage(
      `Start a sweep of ${p.count} runs (${p.parallel} at once) on ${path.basename(folder)}?`,
      {
        modal: true,
        detail:
          p.params
            .map((x) =>
              Object.entries(x)
                .map(([k, v]) => `${k}=${v}`)
                .join(' '),
            )
            .slice(0, 12)
            .join('\n') + (p.count > 12 ? '\n…' : ''),
      },
      'Start',
    );
    if (go !== 'Start') return undefined;
  }
  const plan = planSweep(req);
  ctx.log.info(`sweep ${plan.id}: ${p.count} runs in ${plan.dir}`);
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `SeqLab sweep ${plan.id}`, cancellable: true },
    async (progress, token) => {
      let done = 0;
      return runSweepDir(plan.dir, {
        shouldStop: () => token.isCancellationRequested,
        onEvent: (e) => {
          if (e.type === 'log') ctx.log.info(`sweep: ${e.message}`);
          if (e.type === 'runEnd') {
            done++;
            progress.report({
              increment: 100 / p.count,
              message: `${done} of ${p.count} runs done (last: ${e.entry.state}${e.entry.pruned ? ` at step ${e.entry.pruned.step}` : ''})`,
            });
          }
        },
      });
    },
  );
  writeSweepTable(result.dir, result.spec);
  void vscode.commands.executeCommand(
    'markdown.showPreview',
    vscode.Uri.file(path.join(result.dir, RUN_FILES.sweepTable)),
  );
  void vscode.commands.executeCommand('seqlab.openDashboard', {
    runDir: result.spec.runs.map((r) => path.join(path.dirname(result.dir), r.runId)),
  });
  return { dir: result.dir, status: result.spec.status };
}
