/** Shapes shared by the bench page (browser) and bench/main.ts (Node). Plain data only. */

export type Tag = 'swiftshader' | 'gpu';
/** Compressed variants of each model, made in the page and run by the studio's engine beside its float model. */
export const COMPRESSED = ['int8', 'xnor', 'filter30', 'filter50'] as const;
export type CompressedName = `ours-${(typeof COMPRESSED)[number]}`;
export type ContenderName = 'ours' | 'ort-web' | 'tfjs' | CompressedName;

/** What main.ts asks the page to measure. */
export interface BenchConfig {
  models: string[];      // file names served at /data/models/
  batches: number[];
  runs: number;          // timed runs per contender per case; also the number of interleaved cycles
  warmup: number;        // untimed runs after the first (compile) run
  /** Also run int8 (dynamic), XNOR and filter-pruned (30 %, 50 %) variants, interleaved with the float model. */
  compressed: boolean;
  /** Also run TF.js (webgpu) on the same graph, rebuilt from its ops (bench/tfjs-infer.ts). */
  tfjs: boolean;
}

export interface Stats { medianMs: number; minMs: number; maxMs: number; samplesMs: number[] }

/** One contender × case. */
export interface BenchRecord {
  contender: ContenderName;
  model: string;
  batch: number;
  tag: Tag;
  /** Session creation (parse + weight upload); shared by the model's batches. */
  loadMs: number | null;
  /** First run of this case: pipeline compile + buffer allocation + one run. */
  firstRunMs: number | null;
  /** End to end: upload + run + readback, wall clock. */
  e2e: Stats | null;
  /** GPU time of the compute pass by timestamp queries; null when not measurable. */
  gpu: Stats | null;
  gpuNote: string;
  cycles: number;
  /** Max |ours − ort-web| on this case's output (the same on both records), a sanity check. */
  maxAbsDiffVsOther: number | null;
  /** Max |this − onnxruntime-node (CPU)| on the same input, filled in by main.ts. */
  maxAbsDiffVsOrtNode: number | null;
  error: string | null;
  extra: Record<string, unknown>;
}

export interface AdapterLog {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallbackAdapter: boolean;
  features: string[];
  limits: Record<string, number>;
  userAgent: string;
  /** The adapter onnxruntime-web picked for itself, if it initialised. */
  ortAdapter: { vendor: string; architecture: string; description: string; isFallbackAdapter: boolean } | null;
}

/** One contender's first-run output for one case, checked in Node against onnxruntime-node. */
export interface CaseOutput { contender: ContenderName; model: string; batch: number; shape: number[]; seed: number; data: number[] }

export interface PageResult {
  tag: Tag;
  outputs: CaseOutput[];
  adapter: AdapterLog;
  ortVersion: string;
  ortError: string | null;
  records: BenchRecord[];
}
