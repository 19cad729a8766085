import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as os from 'os';
import * as tf from '@tensorflow/tfjs';
import { initBackend, isWasmBackend } from './backend';
import { loadCheckpoint, ParentRef, saveCheckpoint, TensorEntry, writeJsonAtomic } from './checkpoint';
import { ModelConfig, TrainConfig, validateConfig } from './config';
import { readCorpus } from './corpus';
import { StreamBatcher } from './data';
import { SeqLabError, describeError } from './errors';
import { CorpusReport, StopReason, TrainEvent, TrainEventListener } from './events';
import { InferenceModel } from './infer';
import {
  disposeState,
  initLayerWeights,
  initWeights,
  LanguageModel,
  paramGroup,
  Weights,
} from './model/model';
import { kernelHiddenSize, LayerState, TimestepGradRecorder } from './model/layers';
import { learningRate, Optimizer, squaredNorms } from './optim';
import { hash32, Rng } from './rng';
import { generate } from './sample';
import { Tokenizer, tokenizerFromJSON, trainTokenizer } from './tokenizers';
import { ensureRunsDir, RunStatus, runsDir } from './runs';

export interface FinetuneOptions {
  checkpoint: string;
  freezeEmbedding?: boolean;
  /** Freeze layers 0..freezeLayers-1. */
  freezeLayers?: number;
  addLayer?: boolean;
}

export interface TrainOptions {
  /** Folder (or single file) to train on. */
  folder: string;
  config: TrainConfig;
  /** Where `.seqlab/runs` goes; default: the trained folder. */
  out?: string;
  runId?: string;
  /** Written to config.json: runs of one experiment (compare cells) share it. */
  group?: string;
  /** Continue this run folder from its latest checkpoint. */
  resume?: string;
  finetune?: FinetuneOptions;
  onEvent?: TrainEventListener;
  /** Polled between steps; true stops the run after saving a checkpoint. */
  shouldStop?: () => boolean;
  log?: (line: string) => void;
}

export interface TrainResult {
  runDir: string;
  step: number;
  reason: StopReason;
  valLoss: number | null;
  bpc: number | null;
  checkpoint: string | null;
  losses: number[];
}

const LN2 = Math.log(2);

export interface EvalResult {
  loss: number;
  perplexity: number;
  bpc: number;
  tokens: number;
}

/**
 * Mean validation cross-entropy over up to `maxTokens` tokens, read as parallel streams with the
 * state carried, like training but without dropout. bpc uses the split's characters per token.
 */
export function evaluate(
  model: LanguageModel,
  tokens: Int32Array,
  chars: number,
  T: number,
  B: number,
  maxTokens = 0,
): EvalResult | null {
  if (tokens.length < 2) return null;
  const Te = Math.min(T, tokens.length - 1);
  const Be = StreamBatcher.fitBatch(tokens.length, B, Te);
  const batcher = new StreamBatcher(tokens, Be, Te);
  const nWin =
    maxTokens > 0
      ? Math.max(1, Math.min(batcher.windows, Math.floor(maxTokens / (Be * Te))))
      : batcher.windows;
  let state = model.zeroState(Be);
  let sum = 0;
  for (let w = 0; w < nWin; w++) {
    const { inputs, targets } = batcher.window(w);
    const final: LayerState[] = [];
    const l = tf.tidy(() => model.loss(inputs, targets, Te, Be, state, { training: false }, final));
    sum += l.dataSync()[0];
    l.dispose();
    disposeState(state);
    state = final;
  }
  disposeState(state);
  const loss = sum / nWin;
  const charsPerToken = chars / tokens.length;
  return { loss, perplexity: Math.exp(loss), bpc: loss / LN2 / charsPerToken, tokens: nWin * Be * Te };
}

function newRunId(cell: string): string {
  const d = new Date();
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}-${cell}-${crypto.randomBytes(2).toString('hex')}`;
}

export function checkpointName(step: number): string {
  return `step-${String(step).padStart(8, '0')}`;
}

/** Latest checkpoint of a run by step (ignores temporary folders). */
export function latestCheckpoint(runDir: string): string | undefined {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return undefined;
  const names = fs
    .readdirSync(dir)
    .filter((n) => /^step-\d+$/.test(n) && fs.existsSync(path.join(dir, n, 'manifest.json')));
  names.sort();
  return names.length ? path.join(dir, names[names.length - 1]) : undefined;
}

/**
 * Trains a language model on a folder: truncated BPTT over B parallel streams with the state
 * carried between windows, gradient clipping, evaluation, sampling and atomic checkpoints.
 * Reports through typed events; never prints.
 */
export async function train(opts: TrainOptions): Promise<TrainResult> {
  const emit = (e: TrainEvent) => {
    if (metricsFile) fs.appendFileSync(metricsFile, JSON.stringify(e) + '\n');
    opts.onEvent?.(e);
  };
  const now = () => Date.now();
  let metricsFile: string | undefined;
  let runDir = '';
  let statusFile = '';
  const setStatus = (s: Partial<RunStatus>) => {
    if (!statusFile) return;
    let prev: Partial<RunStatus> = {};
    try {
      prev = JSON.parse(fs.readFileSync(statusFile, 'utf8'));
    } catch {
      // first write
    }
    writeJsonAtomic(statusFile, { ...prev, ...s, updatedAt: new Date().toISOString() });
  };

  let model: LanguageModel | undefined;
  let optimizer: Optimizer | undefined;
  try {
    // ---- configuration, possibly from a checkpoint ----
    let config = validateConfig(opts.config);
    let tokenizer: Tokenizer | undefined;
    let weights: Weights | undefined;
    let optState: TensorEntry[] = [];
    let carry: TensorEntry[] = [];
    let startStep = 0;
    let tokensSeen = 0;
    let epoch = 0;
    let window = 0;
    let bestVal: number | null = null;
    let elapsedBefore = 0;
    let parent: ParentRef | null = null;
    let folder = opts.folder;
    let modelConfig: Omit<ModelConfig, 'vocabSize'> = config.model;

    if (opts.resume) {
      runDir = path.resolve(opts.resume);
      const ck = latestCheckpoint(runDir);
      if (!ck)
        throw new SeqLabError(
          'E_RESUME',
          `Run ${runDir} has no checkpoint to resume from`,
          runDir,
          'Start a new run instead.',
        );
      const data = loadCheckpoint(ck);
      const runCfg = JSON.parse(fs.readFileSync(path.join(runDir, 'config.json'), 'utf8'));
      folder = runCfg.folder;
      // Limits given now extend the run (steps: a new total; time: seconds more than it has
      // already trained); without them the run keeps its own. Everything that shapes the math stays.
      const trainedFor = data.manifest.trainer.elapsedSeconds;
      config = validateConfig({
        ...data.manifest.train,
        steps: opts.config.steps || data.manifest.train.steps,
        timeSeconds:
          opts.config.timeSeconds > 0
            ? trainedFor + opts.config.timeSeconds
            : data.manifest.train.timeSeconds,
        epochs: opts.config.epochs || data.manifest.train.epochs,
      });
      modelConfig = data.manifest.model;
      tokenizer = tokenizerFromJSON(data.manifest.tokenizer);
      weights = data.weights;
      optState = data.optimizer;
      carry = data.carry;
      startStep = data.manifest.step;
      tokensSeen = data.manifest.tokensSeen;
      epoch = data.manifest.trainer.epoch;
      window = data.manifest.trainer.window;
      bestVal = data.manifest.trainer.bestValLoss;
      elapsedBefore = data.manifest.trainer.elapsedSeconds;
      parent = data.manifest.parent;
    } else if (opts.finetune) {
      const src = path.resolve(opts.finetune.checkpoint);
      const data = loadCheckpoint(src);
      tokenizer = tokenizerFromJSON(data.manifest.tokenizer);
      const base = data.manifest.model;
      modelConfig = {
        ...base,
        dropout: config.model.dropout,
        layers: base.layers + (opts.finetune.addLayer ? 1 : 0),
      };
      weights = new Map(data.weights);
      if (opts.finetune.addLayer) {
        const extra = initLayerWeights(
          { ...base, layers: base.layers + 1 },
          base.layers,
          new Rng(config.seed + 1),
          config.init,
        );
        for (const [k, v] of extra) weights.set(k, v);
      }
      config = { ...config, tokenizer: tokenizer.kind, model: { ...modelConfig } };
      parent = {
        checkpoint: src,
        run: path.basename(path.dirname(path.dirname(src))),
        step: data.manifest.step,
      };
    }

    const backend = await initBackend(config.backend, opts.log);

    // ---- data ----
    const corpus = readCorpus(folder, {
      include: config.include,
      exclude: config.exclude,
      maxFileBytes: config.maxFileBytes,
      valFraction: config.valFraction,
    });
    if (!tokenizer) tokenizer = trainTokenizer(config.tokenizer, corpus.train, config.vocabSize);
    let unknown = 0;
    const encodeAll = (texts: string[]) => {
      const parts = texts.map((t) => {
        const r = tokenizer!.encodeCounting(t);
        unknown += r.unknown;
        return r.ids;
      });
      const out = new Int32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };
    const trainTokens = encodeAll(corpus.train);
    const valTokens = encodeAll(corpus.val);
    const batcher = StreamBatcher.forTraining(trainTokens, config.batch, config.seqLen);
    const B = batcher.B;
    const T = config.seqLen;
    const fullModelConfig: ModelConfig = { ...modelConfig, vocabSize: tokenizer.vocabSize };

    // ---- run folder ----
    if (!opts.resume) {
      const root = opts.out
        ? path.resolve(opts.out)
        : fs.statSync(folder).isFile()
          ? path.dirname(path.resolve(folder))
          : path.resolve(folder);
      const runId = opts.runId ?? newRunId(fullModelConfig.cell);
      runDir = path.join(runsDir(root), runId);
      try {
        ensureRunsDir(root);
        fs.mkdirSync(path.join(runDir, 'checkpoints'), { recursive: true });
      } catch (err) {
        const e = err as NodeJS.ErrnoException;
        throw new SeqLabError(
          'E_OUTPUT',
          `Cannot create the run folder ${runDir}: ${e.message}`,
          runDir,
          'Choose a writable output folder: --out on the command line; in VS Code, train in a writable workspace folder.',
        );
      }
      writeJsonAtomic(path.join(runDir, 'config.json'), {
        runId,
        folder: path.resolve(folder),
        createdAt: new Date().toISOString(),
        train: { ...config, model: modelConfig },
        model: fullModelConfig,
        parent,
        ...(opts.group ? { group: opts.group } : {}),
      });
    }
    metricsFile = path.join(runDir, 'metrics.jsonl');
    statusFile = path.join(runDir, 'status.json');
    setStatus({ status: 'running', pid: process.pid, step: startStep });

    // ---- model and optimizer ----
    const init = config.init;
    model = new LanguageModel(fullModelConfig, weights ?? initWeights(fullModelConfig, config.seed, init));
    const lrScale: Record<string, number> = {};
    // PyTorch's b_ih + b_hh: two parameters with the same gradient move together, each by one
    // optimizer step, which is one bias moving two steps (for Adam, RMSprop and SGD alike).
    if (init === 'pytorch' && fullModelConfig.cell !== 'gru')
      for (let l = 0; l < fullModelConfig.layers; l++) lrScale[`layer_${l}/bias`] = 2;
    optimizer = new Optimizer({
      kind: config.optimizer,
      momentum: config.momentum,
      weightDecay: config.weightDecay,
      lrScale,
    });
    optimizer.step = startStep;
    for (const e of optState) optimizer.slots.set(e.name, tf.variable(tf.tensor(e.data, e.shape), false));
    const frozen = new Set<string>();
    if (opts.finetune?.freezeEmbedding) frozen.add('embedding');
    for (let l = 0; l < (opts.finetune?.freezeLayers ?? 0); l++) frozen.add(`layer_${l}`);
    const trainable = [...model.params].filter(([name]) => !frozen.has(paramGroup(name)));
    const varToParam = new Map(trainable.map(([name, v]) => [v.name, name]));
    const parameters = [...model.params.values()].reduce((a, v) => a + v.size, 0);

    let state: LayerState[] = model.zeroState(B);
    if (
      carry.length === fullModelConfig.layers * (fullModelConfig.cell === 'lstm' ? 2 : 1) &&
      carry.every((c) => c.shape[0] === B)
    ) {
      disposeState(state);
      state = Array.from({ length: fullModelConfig.layers }, (_, l) => ({
        h: tf.keep(tf.tensor2d(carry.find((c) => c.name === `h_${l}`)!.data, [B, fullModelConfig.hidden])),
        c:
          fullModelConfig.cell === 'lstm'
            ? tf.keep(tf.tensor2d(carry.find((c) => c.name === `c_${l}`)!.data, [B, fullModelConfig.hidden]))
            : undefined,
      }));
    }

    const report: CorpusReport = {
      folder: path.resolve(folder),
      files: corpus.files.length,
      trainFiles: corpus.files.filter((f) => f.split === 'train').length,
      valFiles: corpus.files.filter((f) => f.split === 'val').length,
      trainChars: corpus.trainChars,
      valChars: corpus.valChars,
      trainTokens: trainTokens.length,
      valTokens: valTokens.length,
      skipped: corpus.skipped,
      unknownTokens: unknown,
    };
    emit({
      type: 'start',
      time: now(),
      runId: path.basename(runDir),
      runDir,
      config: { ...config, model: modelConfig },
      vocabSize: tokenizer.vocabSize,
      parameters,
      backend: backend.threads > 1 ? `${backend.name} (${backend.threads} threads)` : backend.name,
      corpus: report,
      resumedFromStep: startStep,
      batch: B,
    });
    if (backend.fallbackReason)
      emit({
        type: 'log',
        time: now(),
        message: `wasm backend unavailable (${backend.fallbackReason}); using cpu`,
      });
    if (backend.threadsReason && os.cpus().length > 1)
      emit({
        type: 'log',
        time: now(),
        message: `wasm backend on one thread (${backend.threadsReason})`,
      });
    if (isWasmBackend(backend.name) && !kernelHiddenSize(modelConfig.hidden)) {
      const near = Math.max(4, Math.round(modelConfig.hidden / 4) * 4);
      emit({
        type: 'log',
        time: now(),
        message: `hidden size ${modelConfig.hidden} is not a multiple of 4, so training runs on plain TF.js ops, several times slower than the wasm training kernel; a hidden size of ${near} would use the kernel`,
      });
    }
    if (B < config.batch)
      emit({
        type: 'log',
        time: now(),
        message: `batch reduced from ${config.batch} to ${B} so that each stream holds at least one window of ${T} tokens`,
      });

    // ---- helpers ----
    const primeText = (corpus.val[0] ?? corpus.train[0]).slice(0, 40).split('\n')[0].slice(0, 24);
    let lastEval: { loss: number; bpc: number } | null = null;
    let lastCheckpoint: string | null = null;
    const t0 = now();
    const elapsed = () => elapsedBefore + (now() - t0) / 1000;

    const saveAt = (step: number, reason: 'eval' | 'best' | 'final' | 'stopped', isBest: boolean): string => {
      const name = checkpointName(step);
      const dir = path.join(runDir, 'checkpoints', name);
      const carryOut: TensorEntry[] = [];
      state.forEach((s, l) => {
        carryOut.push({ name: `h_${l}`, shape: s.h.shape.slice(), data: s.h.dataSync() as Float32Array });
        if (s.c)
          carryOut.push({ name: `c_${l}`, shape: s.c.shape.slice(), data: s.c.dataSync() as Float32Array });
      });
      saveCheckpoint(dir, {
        manifest: {
          name,
          model: fullModelConfig,
          tokenizer: tokenizer!.toJSON(),
          train: { ...config, model: modelConfig },
          step,
          tokensSeen,
          valLoss: lastEval?.loss ?? null,
          valBpc: lastEval?.bpc ?? null,
          createdAt: new Date().toISOString(),
          parent,
          trainer: {
            epoch,
            window,
            rngState: hash32(config.seed, step),
            optimizerStep: optimizer!.step,
            bestValLoss: bestVal,
            elapsedSeconds: elapsed(),
          },
        },
        weights: model!.exportWeights(),
        optimizer: [...optimizer!.slots].map(([name, v]) => ({
          name,
          shape: v.shape.slice(),
          data: v.dataSync() as Float32Array,
        })),
        carry: carryOut,
      });
      lastCheckpoint = dir;
      const st: Partial<RunStatus> = { step, latest: name };
      if (isBest) st.best = name;
      setStatus(st);
      emit({
        type: 'checkpoint',
        time: now(),
        step,
        name,
        path: dir,
        valLoss: lastEval?.loss ?? null,
        best: isBest,
        reason,
      });
      pruneCheckpoints(runDir, config.keepCheckpoints);
      return dir;
    };

    const evalAndSample = (step: number) => {
      const r = evaluate(model!, valTokens, corpus.valChars, T, config.batch, config.evalTokens);
      if (r) {
        lastEval = { loss: r.loss, bpc: r.bpc };
        emit({
          type: 'eval',
          time: now(),
          step,
          valLoss: r.loss,
          perplexity: r.perplexity,
          bpc: r.bpc,
          tokensSeen,
        });
      }
      if (config.sampleLength > 0) {
        const inf = new InferenceModel(fullModelConfig, model!.exportWeights());
        const text = generate(inf, tokenizer!, {
          prime: primeText,
          maxLength: config.sampleLength,
          temperature: 0.8,
          seed: hash32(config.seed, step),
        });
        emit({ type: 'sample', time: now(), step, prime: primeText, text });
      }
      return r;
    };

    // ---- the loop ----
    const sched = {
      kind: config.schedule,
      lr: config.lr,
      warmupSteps: config.warmupSteps,
      totalSteps: config.steps,
      decaySteps: config.decaySteps,
      decayRate: config.decayRate,
    };
    const losses: number[] = [];
    let step = startStep;
    let reason: StopReason = 'steps';
    for (;;) {
      if (config.steps > 0 && step >= config.steps) {
        reason = 'steps';
        break;
      }
      if (config.epochs > 0 && epoch >= config.epochs) {
        reason = 'epochs';
        break;
      }
      if (config.timeSeconds > 0 && elapsed() >= config.timeSeconds) {
        reason = 'time';
        break;
      }
      if (opts.shouldStop?.()) {
        reason = 'stopped';
        break;
      }
      if (window >= batcher.windows) {
        window = 0;
        epoch++;
        disposeState(state);
        state = model.zeroState(B);
        continue;
      }
      const ts = now();
      step++;
      const { inputs, targets } = batcher.window(window);
      const recorder =
        config.gradEvery > 0 && step % config.gradEvery === 0 ? new TimestepGradRecorder() : undefined;
      const final: LayerState[] = [];
      const { value, grads } = tf.variableGrads(
        () =>
          model!.loss(
            inputs,
            targets,
            T,
            B,
            state,
            { training: true, dropoutSeed: hash32(config.seed, step), recorder },
            final,
          ),
        trainable.map(([, v]) => v),
      );
      const names = Object.keys(grads);
      const stats = [value.dataSync()[0], ...squaredNorms(names.map((n) => grads[n]))];
      const loss = stats[0];
      if (!Number.isFinite(loss)) {
        throw new SeqLabError(
          'E_DIVERGED',
          `Training diverged at step ${step} (loss ${loss})`,
          'lr',
          'Lower the learning rate (--lr) or the clip threshold (--clip).',
        );
      }
      const groupSq: Record<string, number> = {};
      let total = 0;
      names.forEach((n, i) => {
        const g = paramGroup(varToParam.get(n)!);
        groupSq[g] = (groupSq[g] ?? 0) + stats[i + 1];
        total += stats[i + 1];
      });
      const gradNorm = Math.sqrt(total);
      const clipped = config.clip > 0 && gradNorm > config.clip;
      const scale = clipped ? config.clip / gradNorm : 1;
      const lr = learningRate(sched, step);
      const gradMap = new Map<string, tf.Tensor>();
      for (const n of names)
        gradMap.set(varToParam.get(n)!, scale === 1 ? grads[n] : tf.mul(grads[n], scale));
      optimizer.apply(model.params, gradMap, lr);
      tf.dispose([value, ...Object.values(grads), ...[...gradMap.values()]]);
      disposeState(state);
      state = final;
      window++;
      tokensSeen += B * T;
      losses.push(loss);
      const dt = (now() - ts) / 1000;
      emit({
        type: 'step',
        time: now(),
        step,
        epoch,
        loss,
        gradNorm,
        layerGradNorms: Object.fromEntries(Object.entries(groupSq).map(([k, v]) => [k, Math.sqrt(v)])),
        clipped,
        lr,
        tokensPerSec: (B * T) / Math.max(dt, 1e-6),
        tokensSeen,
        elapsedSeconds: elapsed(),
      });
      if (recorder) emit({ type: 'timestepGradients', time: now(), step, norms: recorder.read() });
      // Each step is synchronous TF.js work: yield so that a stop request (SIGINT, a message to
      // the worker) is seen between steps.
      await new Promise((r) => setImmediate(r));
      if (step % config.evalEvery === 0) {
        const r = evalAndSample(step);
        const isBest = !!r && (bestVal === null || r.loss < bestVal);
        if (isBest) bestVal = r!.loss;
        saveAt(step, isBest ? 'best' : 'eval', isBest);
      }
    }

    // ---- finish: always leave a checkpoint of the final weights ----
    if (step > startStep || !lastCheckpoint) {
      if (step % config.evalEvery !== 0 || step === startStep) {
        const r = reason === 'stopped' ? null : evalAndSample(step);
        const isBest = !!r && (bestVal === null || r.loss < bestVal);
        if (isBest) bestVal = r!.loss;
        saveAt(step, reason === 'stopped' ? 'stopped' : 'final', isBest);
      }
    }
    const finalEval = lastEval as { loss: number; bpc: number } | null;
    setStatus({ status: reason === 'stopped' ? 'stopped' : 'finished', step });
    emit({
      type: 'done',
      time: now(),
      step,
      reason,
      valLoss: finalEval?.loss ?? null,
      bpc: finalEval?.bpc ?? null,
      checkpoint: lastCheckpoint,
      elapsedSeconds: elapsed(),
    });
    disposeState(state);
    return {
      runDir,
      step,
      reason,
      valLoss: finalEval?.loss ?? null,
      bpc: finalEval?.bpc ?? null,
      checkpoint: lastCheckpoint,
      losses,
    };
  } catch (err) {
    const message = describeError(err);
    if (runDir && statusFile) {
      try {
        setStatus({ status: 'failed', error: message });
        emit({
          type: 'error',
          time: Date.now(),
          message,
          code: err instanceof SeqLabError ? err.code : undefined,
        });
      } catch {
        // The disk itself may be what failed; the caller still gets the original error.
      }
    } else
      opts.onEvent?.({
        type: 'error',
        time: Date.now(),
        message,
        code: err instanceof SeqLabError ? err.code : undefined,
      });
    throw err;
  } finally {
    model?.dispose();
    optimizer?.dispose();
  }
}

/** Keeps the newest `keep` step checkpoints and the best one. Best effort: never fails a run. */
function pruneCheckpoints(runDir: string, keep: number): void {
  try {
    const dir = path.join(runDir, 'checkpoints');
    let best: string | undefined;
    try {
      best = JSON.parse(fs.readFileSync(path.join(runDir, 'status.json'), 'utf8')).best;
    } catch {
      best = undefined;
    }
    const names = fs
      .readdirSync(dir)
      .filter((n) => /^step-\d+$/.test(n))
      .sort();
    for (const n of names.slice(0, Math.max(0, names.length - keep)))
      if (n !== best) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
  } catch {
    // A folder that cannot be listed now will fail the next save with a proper message.
  }
}
