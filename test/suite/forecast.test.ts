import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import { readManifest } from '../../src/engine/checkpoint';
import type { SeqLabApi } from '../../src/extension';
import type { LaunchResult } from '../../src/commands/training';

suite('SeqLab forecaster in a real VS Code extension host', () => {
  let api: SeqLabApi;
  let dir: string;
  const errors: string[] = [];

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension('seqlab.seqlab');
    assert.ok(ext, 'extension is installed');
    api = (await ext.activate()) as SeqLabApi;
    api.onDidShowError((m) => errors.push(m));
    dir = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'forecast-itest');
    fs.rmSync(dir, { recursive: true, force: true });
    fs.mkdirSync(dir, { recursive: true });
    const rows = ['date,load,temp'];
    for (let i = 0; i < 160; i++) {
      const d = new Date(Date.UTC(2021, 0, 1 + i)).toISOString().slice(0, 10);
      rows.push(`${d},${(100 + 20 * Math.sin((2 * Math.PI * i) / 7)).toFixed(3)},${(i % 7).toFixed(1)}`);
    }
    fs.writeFileSync(path.join(dir, 'load.csv'), rows.join('\n') + '\n');
  });

  test('Train Forecaster on CSV… trains a forecaster, and Forecast File… writes a new CSV without overwriting', async () => {
    const file = path.join(dir, 'load.csv');
    const r = (await vscode.commands.executeCommand('seqlab.trainForecaster', {
      file,
      target: 'load',
      features: ['temp'],
      overrides: { steps: 40, evalEvery: 20, forecast: { window: 14, horizon: 3 } },
      ifBusy: 'queue',
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    const checkpoint = r.outcome!.done!.checkpoint!;
    const manifest = readManifest(checkpoint);
    assert.strictEqual(manifest.task, 'forecast');
    assert.ok(typeof manifest.metrics?.mae === 'number' && typeof manifest.metrics?.naive_mae === 'number');
    // The tree gives forecaster checkpoints their own context value (their own menu items).
    api.tree.refresh();
    const out = path.join(dir, 'load.forecast.csv');
    const written = await vscode.commands.executeCommand('seqlab.forecastFile', {
      checkpoint,
      file,
      steps: 5,
      out,
    });
    assert.strictEqual(written, out);
    const lines = fs.readFileSync(out, 'utf8').trim().split('\n');
    assert.deepStrictEqual(lines[0], 'date,load_forecast');
    assert.strictEqual(lines.length, 6);
    assert.match(lines[1], /^2021-06-10,\d/);
    // A second forecast to the same file is refused, and the first stays as it was.
    const before = fs.readFileSync(out, 'utf8');
    const again = await vscode.commands.executeCommand('seqlab.forecastFile', {
      checkpoint,
      file,
      steps: 2,
      out,
    });
    assert.strictEqual(again, undefined);
    assert.ok(
      errors.some((e) => /already exists/.test(e)),
      errors.join('\n'),
    );
    assert.strictEqual(fs.readFileSync(out, 'utf8'), before);
  });
});
