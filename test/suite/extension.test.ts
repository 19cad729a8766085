import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../src/engine/checkpoint';
import { DEFAULT_NGRAM_ORDER } from '../../src/engine/completion/evaluate';
import { completionMixture } from '../../src/engine/completion/mixture';
import { CharNgramModel } from '../../src/engine/completion/ngram';
import { ngramSourceOf, readTrainingText } from '../../src/engine/completion/ngramSource';
import { DEFAULT_SUGGESTION_POLICY } from '../../src/engine/completion/policy';
import { InferenceModel } from '../../src/engine/inference/stepModel';
import { Completer, DEFAULT_COMPLETE_OPTIONS } from '../../src/engine/inference/completer';
import { generate } from '../../src/engine/sample';
import { tokenizerFromJSON } from '../../src/engine/tokenizers';
import type { TrainEvent } from '../../src/engine/events';
import type { SeqLabApi } from '../../src/extension';
import type { CompletionResult } from '../../src/completion/controller';
import { completionSettings } from '../../src/completion/settings';
import type { UnpackReport } from '../../src/sample/unpack';
import type { LaunchResult } from '../../src/commands/training';
import type { TrainingSession } from '../../src/training/sessionManager';
import type { CheckpointItem, ParentItem, RunItem, TreeNode } from '../../src/views/checkpointTree';
import { until } from '../helpers/until';

const log = (...a: unknown[]) => console.log('[itest]', ...a);

// The extension runs from its esbuild bundle, so its classes are not the ones this compiled test
// imports: tell tree items apart by shape, not instanceof.
const isCheckpoint = (n: TreeNode): n is CheckpointItem => 'checkpoint' in n;
const isParent = (n: TreeNode): n is ParentItem => 'parentCheckpoint' in n;

suite('SeqLab in a real VS Code extension host', () => {
  let api: SeqLabApi;
  let ws: string;
  let corpus: string;
  let firstCheckpoint: string;
  // What the extension showed the user and the completions it delivered, newest last.
  const errors: string[] = [];
  const warnings: string[] = [];
  let lastCompletion: CompletionResult | undefined;

  const runs = (): RunItem[] => {
    api.tree.refresh();
    return api.tree.getChildren() as RunItem[];
  };
  const children = (r: RunItem): TreeNode[] => api.tree.getChildren(r);

  suiteSetup(async () => {
    const ext = vscode.extensions.getExtension('seqlab.seqlab');
    assert.ok(ext, 'extension is installed');
    api = (await ext.activate()) as SeqLabApi;
    api.onDidShowError((m) => errors.push(m));
    api.completion.controller.onDidWarn((m) => warnings.push(m));
    api.completion.controller.onDidComplete((r) => (lastCompletion = r));
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    corpus = path.join(ws, 'corpus');
    log(`activated in ${api.activationMs.toFixed(1)} ms; workspace ${ws}`);
  });

  test('every command is registered, and TF.js is not loaded on the extension host', async () => {
    const all = await vscode.commands.getCommands(true);
    for (const id of [
      'train',
      'finetune',
      'resume',
      'stop',
      'generate',
      'evaluate',
      'openDashboard',
      'useForCompletion',
      'toggleCompletion',
      'compareCells',
      'revealCheckpoint',
      'deleteCheckpoint',
      'getStarted',
      'unpackSample',
    ])
      assert.ok(all.includes(`seqlab.${id}`), `seqlab.${id}`);
    const tfLoaded = Object.keys(require.cache).some((k) => k.includes('@tensorflow'));
    assert.strictEqual(tfLoaded, false, 'TF.js stays in the worker');
  });

  test('training a tiny model through the command produces a checkpoint the tree lists', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 30, evalEvery: 15 },
      wait: true,
    })) as LaunchResult;
    assert.ok(r?.outcome, 'command returned an outcome');
    assert.strictEqual(r.outcome.status, 'finished', r.outcome.error);
    assert.ok(
      r.outcome.runDir!.startsWith(path.join(ws, '.seqlab', 'runs')),
      'runs live at the workspace root',
    );
    const run = await until('run in tree', () => runs().find((x) => x.run.dir === r.outcome!.runDir));
    assert.strictEqual(run.run.state, 'finished');
    const cks = children(run).filter(isCheckpoint);
    assert.deepStrictEqual(
      cks.map((c) => c.checkpoint.step),
      [30, 15],
    );
    assert.ok(cks[0].checkpoint.isLatest);
    assert.match(String(cks[0].description), /val \d+\.\d+ · \d+\.\d+ bpc/);
    firstCheckpoint = cks[0].checkpoint.dir;
  });

  test('fine-tuning from it gives a run whose parent is that checkpoint', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.finetune', {
      checkpoint: firstCheckpoint,
      folder: path.join(corpus, 'notes'),
      steps: 6,
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    const run = await until('fine-tuned run', () => runs().find((x) => x.run.dir === r.outcome!.runDir));
    assert.strictEqual(run.run.config?.parent?.checkpoint, firstCheckpoint);
    const parentItem = children(run).find(isParent);
    assert.ok(parentItem, 'tree shows the parent');
    assert.strictEqual(parentItem.parentCheckpoint, firstCheckpoint);
    assert.strictEqual(
      loadCheckpoint(r.outcome!.done!.checkpoint!).manifest.parent?.checkpoint,
      firstCheckpoint,
    );
  });

  test('generate returns text (and opens it in an editor)', async () => {
    const text = (await vscode.commands.executeCommand('seqlab.generate', {
      checkpoint: firstCheckpoint,
      prime: 'The ',
      length: 40,
      temperature: 0.5,
    })) as string;
    assert.ok(text.startsWith('The ') && text.length > 10, JSON.stringify(text));
    const doc = await until('untitled editor', () => vscode.window.activeTextEditor?.document);
    assert.strictEqual(doc.getText(), text);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  const noCancel: vscode.CancellationToken = {
    isCancellationRequested: false,
    onCancellationRequested: () => ({ dispose() {} }),
  };
  /**
   * Turns VS Code's own inline requests off (only the test's reach the worker, so counts and
   * states are the test's) and completion's gate off; returns what undoes both.
   */
  const quietUngated = async (): Promise<() => Promise<void>> => {
    const set = async (inlineSuggest: false | undefined, minConfidence: 0 | undefined) => {
      await vscode.workspace
        .getConfiguration('editor')
        .update('inlineSuggest.enabled', inlineSuggest, vscode.ConfigurationTarget.Workspace);
      await vscode.workspace
        .getConfiguration('seqlab.completion')
        .update('minConfidence', minConfidence, vscode.ConfigurationTarget.Workspace);
    };
    await set(false, 0);
    return () => set(undefined, undefined);
  };
  const complete = (doc: vscode.TextDocument, pos: vscode.Position) =>
    api.completion.provider.provideInlineCompletionItems(
      doc,
      pos,
      { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined },
      noCancel,
    );

  let completionModel: string;

  test('inline completion: the chosen checkpoint completes typed text with its greedy continuation; the toggle turns it off', async () => {
    // A model that has learned the fixture corpus by heart, so that its continuation is text.
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 250, evalEvery: 250, lr: 0.01, sampleLength: 0 },
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    completionModel = r.outcome!.done!.checkpoint!;
    await vscode.commands.executeCommand('seqlab.useForCompletion', { checkpoint: completionModel });
    const run = await until('completion run', () => runs().find((x) => x.run.dir === r.outcome!.runDir));
    const item = children(run)
      .filter(isCheckpoint)
      .find((c) => c.checkpoint.dir === completionModel)!;
    assert.strictEqual(
      (item.iconPath as vscode.ThemeIcon).id,
      'sparkle',
      'the active checkpoint has its own icon',
    );
    assert.match(String(item.description), /completion/);

    // Only this test's requests reach the provider: VS Code's own (automatic) requests while
    // typing would advance the document's state first and make the step count racy. Ungated
    // first: the whole greedy line, which the engine's sampler gives too.
    const restore = await quietUngated();
    // The model alone: this test compares with the model's own greedy line (the mixture has its test).
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('ngram', false, vscode.ConfigurationTarget.Workspace);
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
    const editor = await vscode.window.showTextDocument(doc);
    const prefix = 'The hidden state is com';
    for (const ch of prefix) await vscode.commands.executeCommand('type', { text: ch });
    assert.strictEqual(doc.getText(), prefix);
    const data = loadCheckpoint(completionModel);
    const greedy = generate(
      new InferenceModel(data.manifest.model, data.weights),
      tokenizerFromJSON(data.manifest.tokenizer),
      {
        prime: prefix,
        temperature: 0,
        maxLength: 64,
      },
    ).split('\n')[0];
    log(`greedy continuation of ${JSON.stringify(prefix)}: ${JSON.stringify(greedy)}`);
    assert.ok(greedy.trim().length > 0, 'the model continues this prefix on the same line');
    const jsModel = new InferenceModel(data.manifest.model, data.weights);
    const tok = tokenizerFromJSON(data.manifest.tokenizer);
    const ungated = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0 };
    // The same policy on the plain-JS path: the greedy line, less a loop if the model went round.
    const [want] = new Completer(jsModel, tok).complete('want', prefix, 0, ungated).items;
    assert.ok(want && greedy.startsWith(want), `${JSON.stringify(want)} starts the greedy line`);
    const items = await complete(doc, editor.selection.active);
    assert.deepStrictEqual(
      items?.map((i) => i.insertText),
      [want],
    );
    assert.ok(items![0].range!.isEmpty && items![0].range!.start.isEqual(editor.selection.active));
    log(
      `worker: ${lastCompletion?.ms.toFixed(2)} ms, ${lastCompletion?.syncSteps} steps; longest stretch on the host thread so far: ${api.completion.provider.maxMainThreadMs.toFixed(2)} ms`,
    );

    await vscode.commands.executeCommand('type', { text: 'x' });
    await complete(doc, editor.selection.active);
    assert.strictEqual(lastCompletion?.syncSteps, 1, 'a typed character costs one step');

    // With the default threshold, a prefix the model is unsure how to continue gets no suggestion.
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('minConfidence', undefined, vscode.ConfigurationTarget.Workspace);
    const threshold = DEFAULT_SUGGESTION_POLICY.minConfidence;
    const nextProbability = (text: string): number => {
      const st = jsModel.newState();
      for (const id of tok.encode(text)) jsModel.step(st, id);
      const l = jsModel.logits(st);
      const max = Math.max(...l);
      const sum = l.reduce((a, v) => a + Math.exp(v - max), 0);
      return 1 / sum; // the greedy token's probability
    };
    const unsure = ['The hidden state is comx', 'zq', 'Qv7 ', 'The 9', 'x x x'].find(
      (t) => nextProbability(t) < threshold,
    );
    assert.ok(unsure, 'the fixture model is unsure somewhere');
    log(
      `unsure prefix ${JSON.stringify(unsure)}: p(next) ${nextProbability(unsure).toFixed(3)} < ${threshold}`,
    );
    await editor.edit((e) =>
      e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), unsure),
    );
    const none = await complete(doc, doc.positionAt(unsure.length));
    assert.deepStrictEqual(
      none?.map((i) => i.insertText) ?? [],
      [],
      'no suggestion where the model is unsure',
    );
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('minConfidence', 0, vscode.ConfigurationTarget.Workspace);
    const typed = prefix + 'x';
    await editor.edit((e) =>
      e.replace(new vscode.Range(doc.positionAt(0), doc.positionAt(doc.getText().length)), typed),
    );
    editor.selection = new vscode.Selection(doc.positionAt(typed.length), doc.positionAt(typed.length));

    await vscode.commands.executeCommand('seqlab.toggleCompletion');
    assert.strictEqual(vscode.workspace.getConfiguration('seqlab.completion').get('enabled'), false);
    assert.strictEqual(await complete(doc, editor.selection.active), undefined, 'off: no completion');
    await vscode.commands.executeCommand('seqlab.toggleCompletion');
    assert.ok((await complete(doc, editor.selection.active))?.length, 'on again');

    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('languages', { '*': true, markdown: false }, vscode.ConfigurationTarget.Workspace);
    assert.strictEqual(await complete(doc, editor.selection.active), undefined, 'markdown opted out');
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('languages', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('enabled', undefined, vscode.ConfigurationTarget.Workspace);
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('ngram', undefined, vscode.ConfigurationTarget.Workspace);
    await restore();
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });

  test('inline completion: a checkpoint deleted while active turns completion off with one message', async () => {
    const copy = path.join(path.dirname(completionModel), 'step-completion-copy');
    fs.cpSync(completionModel, copy, { recursive: true });
    await vscode.commands.executeCommand('seqlab.useForCompletion', { checkpoint: copy });
    // A prefix the fixture model completes with confidence (the test above).
    const content = 'The hidden state is com';
    const doc = await vscode.workspace.openTextDocument({ language: 'plaintext', content });
    const end = doc.positionAt(content.length);
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('minConfidence', 0, vscode.ConfigurationTarget.Workspace);
    assert.ok((await complete(doc, end))?.length, 'completes before the deletion');
    const before = warnings.length;
    fs.rmSync(copy, { recursive: true });
    assert.strictEqual(await complete(doc, end), undefined);
    assert.strictEqual(await complete(doc, end), undefined);
    assert.strictEqual(warnings.length, before + 1, 'one message, not one per keystroke');
    assert.match(warnings.at(-1)!, /no longer exists.*Use Checkpoint for Completion/);
    assert.strictEqual(api.completion.controller.checkpoint, undefined);
    await vscode.commands.executeCommand('seqlab.useForCompletion', { checkpoint: completionModel });
    assert.ok((await complete(doc, end))?.length, 'choosing a checkpoint again turns it back on');
    await vscode.workspace
      .getConfiguration('seqlab.completion')
      .update('minConfidence', undefined, vscode.ConfigurationTarget.Workspace);
  });

  test("inline completion: once its run's n-gram is built, the ghost text comes from the model mixed with it", async () => {
    // A corpus whose every training file repeats a phrase: the n-gram is sure how it goes on,
    // a model trained for a few steps is not. Outside the workspace, so the tree stays as it was.
    const folder = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-ngram-corpus-'));
    const phrase = 'Recurrent models remember what the n-gram recalls verbatim.\n';
    for (const n of ['a', 'b', 'c', 'd', 'e', 'f'])
      fs.writeFileSync(path.join(folder, `${n}.md`), `# Notes ${n}\n\n` + phrase.repeat(12));
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder,
      preset: 'tiny',
      overrides: { steps: 4, evalEvery: 4, sampleLength: 0 },
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    const ck = r.outcome!.done!.checkpoint!;
    const notices: string[] = [];
    const sub = api.completion.controller.onDidNotice((m) => notices.push(m));
    // Ungated: the model alone would show its (poor) greedy text, so the two differ visibly.
    const restore = await quietUngated();
    try {
      await vscode.commands.executeCommand('seqlab.useForCompletion', { checkpoint: ck });
      const prefix = phrase + 'Recurrent models remember what the n-';
      const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: prefix });
      const end = doc.positionAt(prefix.length);
      // What the engine computes: the model alone, and mixed with the n-gram of the run's training split.
      const data = loadCheckpoint(ck);
      const tok = tokenizerFromJSON(data.manifest.tokenizer);
      const model = new InferenceModel(data.manifest.model, data.weights);
      const src = ngramSourceOf(ck, data.manifest.tokenizer);
      assert.ok(src.ok, JSON.stringify(src));
      const ngram = new CharNgramModel(readTrainingText(src.folder, src.options).text, DEFAULT_NGRAM_ORDER);
      const o = { ...DEFAULT_COMPLETE_OPTIONS, minConfidence: 0 };
      const [alone] = new Completer(model, tok).complete('alone', prefix, 0, o).items;
      const [mixed] = new Completer(completionMixture(model, tok, ngram), tok).complete(
        'mixed',
        prefix,
        0,
        o,
      ).items;
      log(`model alone: ${JSON.stringify(alone)}; mixed with the n-gram: ${JSON.stringify(mixed)}`);
      assert.ok(mixed?.startsWith('gram recalls'), 'the n-gram knows how the phrase goes on');
      assert.notStrictEqual(alone, mixed, 'the model alone does not');
      // The first suggestions come from the model alone while the n-gram is built.
      let shown = await complete(doc, end);
      for (const t0 = Date.now(); !lastCompletion?.mixture && Date.now() - t0 < 30_000;) {
        await new Promise((r) => setTimeout(r, 100));
        shown = await complete(doc, end);
      }
      assert.strictEqual(lastCompletion?.mixture, true, 'the mixture is in use once the n-gram is built');
      assert.deepStrictEqual(
        shown?.map((i) => i.insertText),
        [mixed],
      );
      assert.ok(
        notices.some((m) =>
          new RegExp(`${DEFAULT_NGRAM_ORDER}-gram of .* characters of .*seqlab-ngram-corpus`).test(m),
        ),
        notices.join('\n'),
      );
    } finally {
      sub.dispose();
      await restore();
      await vscode.commands.executeCommand('seqlab.useForCompletion', { checkpoint: completionModel });
    }
  });

  test("completion settings: a minConfidence the user set, even to the default's value, is never replaced by the model alone's default", async () => {
    const doc = await vscode.workspace.openTextDocument({ language: 'markdown', content: '' });
    const c = () => vscode.workspace.getConfiguration('seqlab.completion', doc);
    const shipped = DEFAULT_SUGGESTION_POLICY.minConfidence;
    try {
      let s = completionSettings(doc);
      assert.strictEqual(s.defaultMinConfidence, true, 'not set anywhere: the shipped default');
      assert.strictEqual(s.options.minConfidence, shipped);
      await c().update('minConfidence', shipped, vscode.ConfigurationTarget.Workspace);
      s = completionSettings(doc);
      assert.strictEqual(s.defaultMinConfidence, false, "set to the default's value: the user's");
      assert.strictEqual(s.options.minConfidence, shipped);
      await c().update('minConfidence', undefined, vscode.ConfigurationTarget.Workspace);
      assert.strictEqual(completionSettings(doc).defaultMinConfidence, true, 'unset again');
      await c().update('minConfidence', 0.5, vscode.ConfigurationTarget.Global);
      s = completionSettings(doc);
      assert.strictEqual(s.defaultMinConfidence, false, "set in the user's settings");
      assert.strictEqual(s.options.minConfidence, 0.5);
    } finally {
      await c().update('minConfidence', undefined, vscode.ConfigurationTarget.Global);
      await c().update('minConfidence', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  test('inline completion: a reply that comes after VS Code stopped waiting, with nothing moved, answers the next request without the worker', async () => {
    const client = api.completion.controller.client;
    const request = client.request.bind(client);
    let sent = 0;
    // VS Code's token, cancelled while the worker computes (as on a loaded machine): it turns
    // cancelled once the request has gone out, and never tells the worker, which replies.
    let cancelled = false;
    const lateToken: vscode.CancellationToken = {
      get isCancellationRequested() {
        return cancelled;
      },
      onCancellationRequested: () => ({ dispose() {} }),
    };
    const ctx = {
      triggerKind: vscode.InlineCompletionTriggerKind.Automatic,
      selectedCompletionInfo: undefined,
    };
    let onSent = (): void => {};
    let lastItems: string[] | undefined;
    client.request = (q, c) => {
      sent++;
      const reply = request(q, c);
      void reply.then((r) => (lastItems = r.type === 'result' ? r.items : undefined));
      onSent();
      return reply;
    };
    const restore = await quietUngated();
    try {
      const doc = await vscode.workspace.openTextDocument({
        language: 'markdown',
        content: 'The hidden state is com',
      });
      const editor = await vscode.window.showTextDocument(doc);
      const end = doc.positionAt(doc.getText().length);
      editor.selection = new vscode.Selection(end, end);
      assert.ok((await complete(doc, end))?.length, 'the model suggests something here');
      sent = 0;
      onSent = () => (cancelled = true);
      const delivered: string[][] = [];
      const sub = api.completion.controller.onDidComplete((r) => delivered.push(r.items));
      try {
        const late = await api.completion.provider.provideInlineCompletionItems(doc, end, ctx, lateToken);
        assert.strictEqual(late, undefined, 'a cancelled request shows nothing');
        assert.strictEqual(sent, 1);
        assert.ok(lastItems?.length, 'the worker replied with a suggestion');
        // The provider asked VS Code to request again; whether VS Code's request or ours comes
        // first, it is answered from the kept reply.
        for (const t0 = Date.now(); !delivered.length && Date.now() - t0 < 3000;)
          await new Promise((r) => setTimeout(r, 50));
        const again = delivered.length ? undefined : await complete(doc, end);
        log(`the kept reply answered ${again ? 'this test' : "VS Code's own request"}`);
        assert.deepStrictEqual(delivered[0], lastItems);
        assert.strictEqual(sent, 1, 'without asking the worker again');
        // A late reply for a place the user has left is dropped.
        cancelled = false;
        sent = 0;
        const start = doc.positionAt(0);
        onSent = () => {
          cancelled = true;
          editor.selection = new vscode.Selection(start, start);
        };
        assert.strictEqual(
          await api.completion.provider.provideInlineCompletionItems(doc, end, ctx, lateToken),
          undefined,
        );
        onSent = () => {};
        cancelled = false;
        await complete(doc, end);
        assert.strictEqual(sent, 2, 'the cursor moved: the next request at the old place goes to the worker');
      } finally {
        sub.dispose();
      }
    } finally {
      delete (client as { request?: unknown }).request;
      await restore();
    }
  });

  test('compare cells: three runs at about equal size, grouped in the tree, with a table', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.compareCells', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 8, evalEvery: 8, gradEvery: 4, sampleLength: 0 },
      ifBusy: 'queue',
    })) as {
      dir: string;
      status: string;
      rows: {
        cell: string;
        parameters: number;
        status: string;
        gradientRatio: number | null;
        bpc: number | null;
      }[];
    };
    assert.strictEqual(r?.status, 'finished');
    assert.deepStrictEqual(
      r.rows.map((x) => [x.cell, x.status]),
      [
        ['rnn', 'finished'],
        ['lstm', 'finished'],
        ['gru', 'finished'],
      ],
    );
    for (const row of r.rows) assert.ok(row.gradientRatio !== null && row.bpc !== null, JSON.stringify(row));
    const sizes = r.rows.map((x) => x.parameters);
    assert.ok(Math.max(...sizes) / Math.min(...sizes) < 1.1, String(sizes));
    assert.ok(fs.readFileSync(path.join(r.dir, 'compare.md'), 'utf8').includes('| lstm |'));
    api.tree.refresh();
    const group = (api.tree.getChildren() as TreeNode[]).find((n) => 'run' in n && n.run.dir === r.dir)!;
    assert.ok(group, 'the experiment is a node of the tree');
    const kids = api.tree.getChildren(group) as RunItem[];
    assert.deepStrictEqual(
      kids.map((k) => k.run.config?.model.cell),
      ['rnn', 'lstm', 'gru'],
    );
    const topLevel = (api.tree.getChildren() as TreeNode[])
      .filter((n) => 'run' in n)
      .map((n) => (n as RunItem).run.dir);
    for (const k of kids)
      assert.ok(!topLevel.includes(k.run.dir), 'grouped runs are not repeated at the top level');
  });

  test('evaluate reports loss, perplexity and bits per character', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.evaluate', {
      checkpoint: firstCheckpoint,
      folder: corpus,
      quiet: true,
    })) as { loss: number; perplexity: number; bpc: number };
    assert.ok(r.loss > 0 && Math.abs(r.perplexity - Math.exp(r.loss)) < 1e-6 && r.bpc > 0);
  });

  test('stopping mid-run leaves a loadable checkpoint', async () => {
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 100000, evalEvery: 100000 },
    })) as LaunchResult;
    const session = await until('session', () =>
      api.sessions.sessions.find((s: TrainingSession) => s.id === r.sessionId),
    );
    await until('a few steps', () => (session.lastStep?.step ?? 0) >= 3);
    assert.strictEqual(await vscode.commands.executeCommand('seqlab.stop'), 1);
    const o = await session.outcome;
    assert.strictEqual(o.status, 'stopped');
    const ck = o.done!.checkpoint!;
    const loaded = loadCheckpoint(ck);
    assert.ok(loaded.manifest.step >= 3);
  });

  test('a run started while another trains can be queued behind it', async () => {
    const first = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 100000, evalEvery: 100000 },
    })) as LaunchResult;
    const a = await until('first session', () =>
      api.sessions.sessions.find((s: TrainingSession) => s.id === first.sessionId),
    );
    await until('first steps', () => (a.lastStep?.step ?? 0) >= 2);
    const second = (await vscode.commands.executeCommand('seqlab.train', {
      folder: corpus,
      preset: 'tiny',
      overrides: { steps: 3 },
      ifBusy: 'queue',
    })) as LaunchResult;
    const b = api.sessions.sessions.find((s: TrainingSession) => s.id === second.sessionId)!;
    assert.strictEqual(b.status, 'queued');
    assert.strictEqual(api.sessions.active().length, 1);
    a.stop();
    assert.strictEqual((await a.outcome).status, 'stopped');
    const o = await b.outcome;
    assert.strictEqual(o.status, 'finished', o.error);
    assert.strictEqual(o.done?.step, 3);
  });

  test('a corrupt checkpoint shows as broken without breaking the tree', async () => {
    const src = path.dirname(path.dirname(firstCheckpoint));
    const copy = path.join(ws, '.seqlab', 'runs', `${path.basename(src)}-copy`);
    fs.cpSync(src, copy, { recursive: true });
    const victim = path.join(copy, 'checkpoints', path.basename(firstCheckpoint));
    const bin = path.join(victim, 'weights.bin');
    fs.writeFileSync(bin, fs.readFileSync(bin).subarray(0, 64));
    const run = await until('copied run', () => runs().find((x) => x.run.dir === copy));
    const items = children(run).filter(isCheckpoint);
    const broken = items.find((c) => c.checkpoint.dir === victim)!;
    assert.strictEqual(broken.contextValue, 'seqlab.checkpoint.broken');
    assert.match(String(broken.tooltip), /weights\.bin is truncated/);
    assert.ok(
      items.some((c) => c.contextValue !== 'seqlab.checkpoint.broken'),
      'other checkpoints still listed',
    );
    assert.ok(runs().length >= 3, 'the rest of the tree is intact');
  });

  test('a checkpoint can be revealed and selected in the Checkpoints view (dashboard markers)', async () => {
    await vscode.commands.executeCommand('workbench.view.extension.seqlab');
    const view = api.tree.view!;
    const selected = () =>
      view.selection.some((n) => isCheckpoint(n) && n.checkpoint.dir === firstCheckpoint);
    // A refresh from the runs of earlier tests can land while the view renders: reveal again
    // (at most three times) rather than wait on a reveal that raced it.
    for (let i = 0; i < 3 && !selected(); i++) {
      await api.tree.reveal(firstCheckpoint);
      await until('selection', selected, 5_000).catch(() => undefined);
    }
    assert.ok(selected(), 'the checkpoint is selected in the tree');
  });

  test('a corrupt seqlab.json gives a message naming the file, and nothing starts', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-badjson-'));
    fs.cpSync(corpus, dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'seqlab.json'), '{"preset": "tiny",');
    const before = api.sessions.sessions.length;
    const r = await vscode.commands.executeCommand('seqlab.train', { folder: dir, wait: true });
    assert.strictEqual(r, undefined);
    assert.strictEqual(api.sessions.sessions.length, before);
    assert.match(errors.at(-1) ?? '', /seqlab\.json is not valid JSON/);
  });

  test('a seqlab.json in the folder supplies the config', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-json-'));
    fs.cpSync(corpus, dir, { recursive: true });
    fs.writeFileSync(
      path.join(dir, 'seqlab.json'),
      JSON.stringify({ preset: 'tiny', cell: 'gru', hidden: 24, steps: 4 }),
    );
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: dir,
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    const m = loadCheckpoint(r.outcome!.done!.checkpoint!).manifest;
    assert.strictEqual(m.model.cell, 'gru');
    assert.strictEqual(m.model.hidden, 24);
    assert.strictEqual(m.step, 4);
  });

  test('a checkpoint deleted while in use gives a message, not an exception', async () => {
    const dir = path.dirname(firstCheckpoint);
    const victim = fs
      .readdirSync(dir)
      .map((n) => path.join(dir, n))
      .find((d) => d !== firstCheckpoint)!;
    await vscode.commands.executeCommand('seqlab.deleteCheckpoint', { checkpoint: victim, confirm: false });
    assert.strictEqual(fs.existsSync(victim), false);
    const r = await vscode.commands.executeCommand('seqlab.generate', { checkpoint: victim, open: false });
    assert.strictEqual(r, undefined);
    assert.match(errors.at(-1) ?? '', /no longer exists/);
  });

  test('an interrupted run shows as interrupted and resumes from its checkpoint', async () => {
    const src = path.dirname(path.dirname(firstCheckpoint));
    const copy = path.join(ws, '.seqlab', 'runs', `${path.basename(src)}-interrupted`);
    fs.cpSync(src, copy, { recursive: true });
    const statusFile = path.join(copy, 'status.json');
    fs.writeFileSync(
      statusFile,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(statusFile, 'utf8')), status: 'running', pid: 999999 }),
    );
    const run = await until('interrupted run', () => runs().find((x) => x.run.dir === copy));
    assert.strictEqual(run.run.state, 'interrupted');
    assert.strictEqual(run.contextValue, 'seqlab.run.interrupted');
    const events: TrainEvent[] = [];
    const onEvent = (_s: unknown, e: TrainEvent) => events.push(e);
    api.sessions.on('event', onEvent);
    const r = (await vscode.commands.executeCommand('seqlab.resume', {
      runDir: copy,
      steps: 34,
      wait: true,
    })) as LaunchResult;
    api.sessions.off('event', onEvent);
    assert.strictEqual(r.outcome?.status, 'finished', r.outcome?.error);
    const start = events.find((e) => e.type === 'start');
    assert.strictEqual(start?.type === 'start' && start.resumedFromStep, 30);
    assert.strictEqual(r.outcome?.done?.step, 34);
  });

  test('a run whose config.json names a folder outside the workspace is not resumed without asking', async () => {
    const src = path.dirname(path.dirname(firstCheckpoint));
    const copy = path.join(ws, '.seqlab', 'runs', `${path.basename(src)}-outside`);
    fs.cpSync(src, copy, { recursive: true });
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-outside-'));
    fs.writeFileSync(path.join(outside, 'secret.txt'), 'not for training\n'.repeat(200));
    const cfgFile = path.join(copy, 'config.json');
    fs.writeFileSync(
      cfgFile,
      JSON.stringify({ ...JSON.parse(fs.readFileSync(cfgFile, 'utf8')), folder: outside }),
    );
    const before = errors.length;
    const r = await vscode.commands.executeCommand('seqlab.resume', { runDir: copy, steps: 34, wait: true });
    assert.strictEqual(r, undefined);
    assert.match(errors.slice(before).join('\n'), /outside this workspace/);
    assert.strictEqual(
      fs.readdirSync(path.join(copy, 'checkpoints')).filter((n) => /^step-/.test(n)).length > 0,
      true,
    );
    assert.ok(!fs.readFileSync(path.join(copy, 'metrics.jsonl'), 'utf8').includes(outside), 'no run started');
  });

  test('the sample unpacks into a chosen folder, trains there, and a second unpack overwrites nothing', async () => {
    const dest = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-sample-'));
    const first = (await vscode.commands.executeCommand('seqlab.unpackSample', {
      folder: dest,
    })) as UnpackReport;
    assert.deepStrictEqual(first.conflicts, []);
    assert.ok(first.written.includes('text/keeper-log.txt'), first.written.join(', '));
    assert.ok(first.written.includes('labelled/reviews.csv') && first.written.includes('parallel/en-fr.tsv'));
    const r = (await vscode.commands.executeCommand('seqlab.train', {
      folder: path.join(dest, 'text'),
      preset: 'tiny',
      overrides: { steps: 20, evalEvery: 10 },
      ifBusy: 'queue',
      wait: true,
    })) as LaunchResult;
    assert.strictEqual(r?.outcome?.status, 'finished', r?.outcome?.error);
    assert.ok(r.outcome.runDir!.startsWith(dest), `run inside the sample folder: ${r.outcome.runDir}`);
    assert.strictEqual(r.outcome.done?.step, 20);
    // Unpacking again: the user's edit survives "skip", and "rename" writes a copy beside it.
    const log = path.join(dest, 'text', 'keeper-log.txt');
    fs.writeFileSync(log, 'my own log\n');
    const skipped = (await vscode.commands.executeCommand('seqlab.unpackSample', {
      folder: dest,
      ifTaken: 'skip',
    })) as UnpackReport;
    assert.deepStrictEqual(skipped.written, []);
    assert.ok(skipped.skipped.includes('text/keeper-log.txt'));
    assert.strictEqual(fs.readFileSync(log, 'utf8'), 'my own log\n');
    const renamed = (await vscode.commands.executeCommand('seqlab.unpackSample', {
      folder: dest,
      ifTaken: 'rename',
    })) as UnpackReport;
    assert.ok(renamed.written.includes('text/keeper-log (2).txt'), renamed.written.join(', '));
    assert.strictEqual(fs.readFileSync(log, 'utf8'), 'my own log\n');
    const cancelled = (await vscode.commands.executeCommand('seqlab.unpackSample', {
      folder: dest,
      ifTaken: 'cancel',
    })) as UnpackReport;
    assert.ok(cancelled.cancelled && cancelled.written.length === 0);
  });
});
