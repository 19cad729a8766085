// The PyTorch engine's launcher: prepares a run for torchrun and runs it. No vscode here.
export { prepareTorchRun, TORCH_SPEC_FILE } from './prepare';
export type { PreparedTorchRun, TorchPrepareOptions, TorchRunSpec } from './prepare';
export { launchTorch, TorchProcess, torchrunArgs, torchrunCommandLine } from './launch';
export type { TorchExit, TorchLaunchOptions } from './launch';
export { checkTorch, checkTorchAsync, defaultPython, torchPackageRoot } from './python';
export type { TorchInfo } from './python';
export { trainTorch } from './train';
export type { TorchTrainOptions } from './train';
