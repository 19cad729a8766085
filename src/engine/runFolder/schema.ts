import type { ParentRef } from '../checkpoint';
import type { CellKind, ModelConfig, TrainConfig } from '../config';

/** config.json: written once when a run starts. */
export interface RunConfigFile {
  runId: string;
  folder: string;
  createdAt: string;
  train: TrainConfig;
  model: ModelConfig;
  parent: ParentRef | null;
  /** The compare-cells experiment this run belongs to (its folder name under runs/). */
  group?: string;
}

/** status.json: what the tree view and `resume` read; rewritten atomically as the run goes. */
export interface RunStatus {
  status: 'running' | 'finished' | 'stopped' | 'failed';
  pid: number;
  step: number;
  latest?: string;
  best?: string;
  error?: string;
  /** Set when a sweep's early-stopping rule stopped the run (status is then 'stopped'). */
  pruned?: PrunedInfo;
  updatedAt: string;
}

/** Why and where a sweep stopped a run early. */
export interface PrunedInfo {
  step: number;
  rule: 'median' | 'asha';
  reason: string;
}

/** compare.json in a compare-cells experiment's folder under .seqlab/runs. */
export interface CompareSpec {
  kind: 'compare';
  id: string;
  folder: string;
  createdAt: string;
  /** Parameter count every cell is sized to match (the LSTM at the base hidden size). */
  targetParameters: number;
  vocabSize: number;
  runs: { cell: CellKind; runId: string; hidden: number; parameters: number }[];
  status: 'running' | 'finished' | 'stopped' | 'failed';
  rows?: CompareRow[];
}

/** One row of compare.md (and of compare.json's `rows`). */
export interface CompareRow {
  cell: CellKind;
  runId: string;
  hidden: number;
  parameters: number;
  status: string;
  steps: number;
  valLoss: number | null;
  bpc: number | null;
  tokensPerSec: number | null;
  wallSeconds: number | null;
  /** Median over recorded steps of ‖∂L_T/∂h_1‖ / ‖∂L_T/∂h_T‖ in the top layer. */
  gradientRatio: number | null;
}
