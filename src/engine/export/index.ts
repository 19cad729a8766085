import * as fs from 'fs';
import * as path from 'path';
import { CheckpointManifest, loadCheckpoint } from '../checkpoint';
import { SeqLabError } from '../errors';
import { paramShapes } from '../model/shapes';
import { encodeSafetensors } from './safetensors';
import { buildLayersModel, layersModelFiles } from './tfjs';
import { registerSeqLabLayers } from './tfjsLayers';

import { EXPORT_FORMATS, ExportFormat } from './formats';

export { EXPORT_FORMATS };
export type { ExportFormat };

export interface ExportOptions {
  format: ExportFormat;
  /** The folder to create (it must not exist, or be empty, unless `overwrite`). */
  out: string;
  overwrite?: boolean;
}

export interface ExportResult {
  out: string;
  files: string[];
}

/** What every export carries beside the weights: the model's shape and its tokenizer. */
function exportConfig(m: CheckpointManifest, format: ExportFormat, checkpoint: string): object {
  return {
    format: 'seqlab-export',
    version: 1,
    exportFormat: format,
    model: m.model,
    tokenizer: m.tokenizer,
    step: m.step,
    valLoss: m.valLoss,
    checkpoint: path.resolve(checkpoint),
    // How to read the weights: SeqLab's names and layout, documented where they are used.
    parameters: paramShapes(m.model).map(([name, shape]) => ({ name, shape })),
    gates: { lstm: 'i, f, c, o', gru: 'z, r, h (reset gate after the recurrent product)', rnn: '-' }[
      m.model.cell
    ],
    createdAt: new Date().toISOString(),
  };
}

/** Source of seqlab-layers.js: registers SeqLab's GRU with TF.js in Node (require) or a page (global tf). */
function layersScript(): string {
  return [
    "// SeqLab GRU layer for TF.js (reset gate after the recurrent product, which TF.js' GRU lacks).",
    "// Node: require('./seqlab-layers.js')(tf) before tf.loadLayersModel; a page: load it after tf.min.js.",
    '(function (register) {',
    "  if (typeof module === 'object' && module.exports) module.exports = register;",
    "  else if (typeof tf !== 'undefined') register(tf);",
    `})(${registerSeqLabLayers.toString()});`,
    '',
  ].join('\n');
}

function isExport(dir: string): boolean {
  try {
    return JSON.parse(fs.readFileSync(path.join(dir, 'config.json'), 'utf8')).format === 'seqlab-export';
  } catch {
    return false;
  }
}

/** An existing folder is replaced only when asked, and only if it is empty or an earlier export. */
function refuseExisting(out: string, overwrite: boolean | undefined): void {
  if (!fs.existsSync(out)) return;
  const isDir = fs.statSync(out).isDirectory();
  if (isDir && fs.readdirSync(out).length === 0) return;
  if (overwrite && isDir && isExport(out)) return;
  throw new SeqLabError(
    'E_EXPORT_EXISTS',
    overwrite
      ? `${out} exists and is not a SeqLab export, so it is not replaced`
      : `${out} already exists; an export never replaces files silently`,
    out,
    overwrite
      ? 'Choose a new or empty --out folder.'
      : 'Choose another --out folder, or pass --force to replace an earlier export.',
  );
}

/**
 * Writes a checkpoint as `safetensors` (model.safetensors + config.json: weights under SeqLab's
 * names and shapes, float32) or `tfjs` (a TF.js LayersModel: model.json + weights.bin, whose
 * logits equal SeqLab's, + config.json; a GRU adds seqlab-layers.js). The folder is written
 * beside its destination and renamed into place, so it is complete or absent.
 */
export async function exportCheckpoint(checkpoint: string, o: ExportOptions): Promise<ExportResult> {
  if (!EXPORT_FORMATS.includes(o.format))
    throw new SeqLabError(
      'E_EXPORT_FORMAT',
      `Unknown export format '${o.format}'`,
      '--format',
      `Use one of: ${EXPORT_FORMATS.join(', ')}.`,
    );
  const out = path.resolve(o.out);
  refuseExisting(out, o.overwrite);
  const data = loadCheckpoint(checkpoint);
  const m = data.manifest;
  const files: Record<string, Buffer | string> = {
    'config.json': JSON.stringify(exportConfig(m, o.format, checkpoint), null, 2) + '\n',
  };
  if (o.format === 'safetensors') {
    const tensors = paramShapes(m.model).map(([name, shape]) => ({
      name,
      shape,
      data: data.weights.get(name)!.data,
    }));
    files['model.safetensors'] = encodeSafetensors(tensors, { format: 'pt', source: 'seqlab' });
  } else {
    const model = buildLayersModel(m.model, data.weights);
    try {
      const { modelJson, weights } = await layersModelFiles(model);
      files['model.json'] = JSON.stringify(modelJson);
      files['weights.bin'] = weights;
    } finally {
      model.dispose();
    }
    if (m.model.cell === 'gru') files['seqlab-layers.js'] = layersScript();
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const tmp = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.export-`));
  try {
    for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(tmp, name), content);
    if (fs.existsSync(out)) fs.rmSync(out, { recursive: true, force: true });
    fs.renameSync(tmp, out);
  } catch (err) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw err;
  }
  return { out, files: Object.keys(files).map((f) => path.join(out, f)) };
}
