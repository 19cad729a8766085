import * as path from 'path';
import * as vscode from 'vscode';
import {
  ALL_CELLS,
  cellConfig,
  COMPARE_TABLE,
  CompareRow,
  CompareSpec,
  finishCompare,
} from '../engine/compare';
import type { CellKind } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { CommandContext, requireTrust } from './context';
import { pickFolder } from './prompts';
import { configFor, launch, outputRoot, TrainArgs } from './training';

export interface CompareArgs extends TrainArgs {
  cells?: CellKind[];
  /** Open the table and the dashboard when done (default true). */
  open?: boolean;
}

export interface CompareOutcome {
  dir: string;
  status: CompareSpec['status'];
  rows: CompareRow[];
}

/**
 * "SeqLab: Compare Cells on Folder": sizes rnn, lstm and gru to one parameter budget (in a worker:
 * it reads the corpus), trains them one after another as ordinary runs grouped under the
 * experiment, then writes the table and opens it with the runs overlaid in the dashboard.
 * Cancelling a cell's progress stops that cell; the finished ones are kept and tabled.
 */
export async function compareCommand(
  ctx: CommandContext,
  arg?: vscode.Uri | CompareArgs,
): Promise<CompareOutcome | undefined> {
  if (!requireTrust('Training')) return undefined;
  const args = arg instanceof vscode.Uri ? undefined : arg;
  let folder = arg instanceof vscode.Uri ? arg.fsPath : arg?.folder;
  folder ??= (await pickFolder('SeqLab: compare cells on which folder?'))?.fsPath;
  if (!folder) return undefined;
  const config = await configFor(folder, args);
  if (!config) return undefined;
  const out = outputRoot(folder);
  const planned = await ctx.sessions.run({
    kind: 'planCompare',
    folder,
    config,
    cells: args?.cells ?? ALL_CELLS,
    out,
  });
  if (!planned.plan)
    throw new SeqLabError(
      planned.errorCode ?? 'E_COMPARE',
      `Could not set up the comparison: ${planned.error ?? 'no plan'}`,
      folder,
      'Check that the folder has text files SeqLab can read (see the SeqLab output channel).',
    );
  const plan = planned.plan;
  ctx.log.info(
    `compare ${plan.id}: ${plan.runs.map((r) => `${r.cell} ${r.hidden} (${r.parameters} parameters)`).join(', ')}`,
  );
  ctx.tree.refresh();
  let status: CompareSpec['status'] = 'finished';
  for (const [i, run] of plan.runs.entries()) {
    const r = await launch(
      ctx,
      { kind: 'train', folder, config: cellConfig(config, run), out, runId: run.runId, group: plan.id },
      i === 0 ? args?.ifBusy : 'queue',
      true,
    );
    if (r?.outcome?.status !== 'finished') {
      status = r?.outcome?.status === 'failed' ? 'failed' : 'stopped';
      break;
    }
  }
  const { rows } = finishCompare(plan.dir, status);
  ctx.tree.refresh();
  const trained = rows.filter((r) => r.status === 'finished').length;
  void vscode.window.showInformationMessage(
    `SeqLab: comparison ${plan.id} ${status}: ${trained} of ${rows.length} cells trained; the table is in ${COMPARE_TABLE}.`,
  );
  if (args?.open !== false) {
    // The dashboard with the runs overlaid, and the table beside it: both in view.
    const ran = rows
      .filter((r) => r.status !== 'not run')
      .map((r) => path.join(path.dirname(plan.dir), r.runId));
    if (ran.length) ctx.dashboard.open(ran);
    await vscode.commands.executeCommand(
      'markdown.showPreviewToSide',
      vscode.Uri.file(path.join(plan.dir, COMPARE_TABLE)),
    );
  }
  return { dir: plan.dir, status, rows };
}
