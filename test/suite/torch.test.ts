import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import type { SeqLabApi } from '../../src/extension';
import type { LaunchResult } from '../../src/commands/training';
import type { TrainingSession } from '../../src/training/sessionManager';
import type { RunItem } from '../../src/views/checkpointTree';
import { torchSkipReason } from '../helpers/torch';
import { until as untilWithin } from '../helpers/until';

// PyTorch starts slowly: a longer default wait.
const until = <T>(what: string, fn: () => T | undefined | false, timeoutMs = 120_000) =>
  untilWithin(what, fn, timeoutMs);

const log = (...a: unknown[]) => console.log('[itest]', ...a);
const PYTHON = process.env.SEQLAB_PYTHON ?? '/usr/bin/python3';

suite('SeqLab on the PyTorch engine in a real VS Code extension host', () => {
  let api: SeqLabApi;
  let corpus: string;

  suiteSetup(async function () {
    const why = torchSkipReason();
    if (why) {
      log(`PyTorch engine suite skipped: ${why}`);
      this.skip();
    }
    api = (await vscode.extensions.getExtension('seqlab.seqlab')!.activate()) as SeqLabApi;
    corpus = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'corpus');
    // No Python extension in the test host: the setting names the interpreter.
    await vscode.workspace
      .getConfiguration('seqlab')
      .update('python', PYTHON, vscode.ConfigurationTarget.Global);
  });

  test('a PyTorch run shows in the tree while it trains; Stop interrupts it and leaves a loadable checkpoint', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { engine: 'torch', steps: 100000, evalEvery: 25 },
    })) as LaunchResult;
    const session = await until('session', () =>
      api.sessions.sessions.find((s: TrainingSession) => s.id === r.sessionId),
    );
    await until('steps from torchrun', () => (session.lastStep?.step ?? 0) >= 30);
    assert.ok(session.runDir, 'the start event named the run folder');
    api.tree.refresh();
    const item = (api.tree.getChildren() as RunItem[]).find((x) => x.run.dir === session.runDir);
    assert.ok(item, 'the run is in the tree');
    assert.strictEqual(item.run.state, 'running');
    assert.ok(item.run.checkpoints.length >= 1, 'its first checkpoint is listed while it trains');
    assert.strictEqual(await vscode.commands.executeCommand('seqlab.stop'), 1);
    const o = await session.outcome;
    assert.strictEqual(o.status, 'stopped', o.error);
    const m = loadCheckpoint(o.done!.checkpoint!).manifest;
    assert.strictEqual(m.train.engine, 'torch');
    assert.ok(m.step >= 30);
    api.tree.refresh();
    const after = (api.tree.getChildren() as RunItem[]).find((x) => x.run.dir === session.runDir)!;
    assert.strictEqual(after.run.state, 'stopped');
    log(`PyTorch run stopped at step ${m.step}: ${o.done!.checkpoint}`);
  });
});
