import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import type { EngineKind } from '../engine/config';
import { SeqLabError } from '../engine/errors';
import { checkTorchAsync, defaultPython, TorchInfo } from '../engine/torch/python';
import type { TorchJobOptions } from '../training/workerProtocol';

/**
 * The interpreter for the PyTorch engine: the Python extension's active environment for the
 * folder when that extension is installed, else the `seqlab.python` setting, else python3.
 */
export async function resolvePython(scope?: vscode.Uri): Promise<{ python: string; from: string }> {
  if (vscode.extensions.getExtension('ms-python.python')) {
    try {
      const api = await PythonExtension.api();
      const env = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(scope));
      const exe = env?.executable.uri?.fsPath;
      if (exe) return { python: exe, from: 'the Python extension' };
    } catch {
      // The extension is there but not ready: fall back to the setting.
    }
  }
  const setting = vscode.workspace.getConfiguration('seqlab', scope).get<string>('python', '');
  if (setting) return { python: setting, from: 'the seqlab.python setting' };
  return { python: defaultPython(), from: 'the PATH' };
}

/** What the picker says about PyTorch here: its version and GPUs, or what is missing and the fix. */
async function probe(python: string): Promise<TorchInfo | SeqLabError> {
  try {
    return await checkTorchAsync(python);
  } catch (err) {
    if (err instanceof SeqLabError) return err;
    throw err;
  }
}

function describeTorch(t: TorchInfo): string {
  const gpus = t.gpus.length
    ? `${t.gpus.length} GPU${t.gpus.length > 1 ? 's' : ''}: ${[...new Set(t.gpus)].join(', ')}`
    : 'no GPU found: trains on the CPU';
  return `PyTorch ${t.torch} · ${gpus}`;
}

/**
 * "Where to train": the built-in engine or PyTorch, with the GPUs found (probed while the picker
 * is open: importing torch takes seconds). Undefined: cancelled. Picking PyTorch where it cannot
 * run throws its one-line error (what is missing, how to install it).
 */
export async function askEngine(
  scope?: vscode.Uri,
  current: EngineKind = 'wasm',
): Promise<EngineKind | undefined> {
  type Item = vscode.QuickPickItem & { engine: EngineKind };
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = 'SeqLab: where to train?';
  const builtIn: Item = { label: 'Built-in', description: "this machine's CPU", engine: 'wasm' };
  const torch: Item = {
    label: 'PyTorch',
    description: 'GPU / several GPUs',
    detail: 'looking for PyTorch and GPUs…',
    engine: 'torch',
  };
  const order = (xs: Item[]) =>
    xs.sort((a, b) => Number(b.engine === current) - Number(a.engine === current));
  qp.items = order([builtIn, torch]);
  qp.busy = true;
  let found: TorchInfo | SeqLabError | undefined;
  const probing = resolvePython(scope)
    .then(({ python }) => probe(python))
    .then((t) => {
      found = t;
      torch.detail = t instanceof SeqLabError ? `not available: ${t.describe()}` : describeTorch(t);
      qp.items = order([builtIn, { ...torch }]);
      qp.busy = false;
    });
  qp.show();
  const pick = await new Promise<Item | undefined>((resolve) => {
    qp.onDidAccept(() => resolve(qp.selectedItems[0]));
    qp.onDidHide(() => resolve(undefined));
  });
  qp.dispose();
  if (!pick) return undefined;
  if (pick.engine === 'torch') {
    await probing;
    if (found instanceof SeqLabError) throw found;
  }
  return pick.engine;
}

/** The PyTorch engine's options for a job: the interpreter (checked), and one process per GPU. */
export async function torchJobOptions(
  scope: vscode.Uri | undefined,
  log: vscode.LogOutputChannel,
): Promise<TorchJobOptions> {
  const { python, from } = await resolvePython(scope);
  const t = await checkTorchAsync(python);
  const setting = vscode.workspace.getConfiguration('seqlab.torch', scope).get<number>('nproc', 0);
  const nproc = setting > 0 ? setting : Math.max(1, t.gpus.length);
  log.info(
    `PyTorch engine: ${python} (from ${from}), ${describeTorch(t)}, ${nproc} process${nproc > 1 ? 'es' : ''}`,
  );
  return { python, nproc, device: t.gpus.length ? 'cuda' : 'cpu' };
}
