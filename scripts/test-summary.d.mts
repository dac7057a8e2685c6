// Types for test-summary.mjs (plain JS so that `npm test` needs no TypeScript runner).
export interface RunnerResult {
  part: string;
  status: number | null;
  signal: string | null;
  error?: string;
  reportText: string | null;
}
export interface Counts { passed: number; failed: number; skipped: number; notes: string[] }
export interface PartSummary extends Counts { part: string }
export interface Summary {
  parts: PartSummary[];
  passed: number;
  failed: number;
  skipped: number;
  notes: string[];
  line: string;
  exitCode: 0 | 1;
}
export const PARTS: Record<'unit' | 'gpu' | 'e2e', { runner: 'vitest' | 'playwright'; report: string; command: (report: string) => [string, string[]] }>;
export function partsFor(arg: string | undefined): string[];
export function runParts(
  parts: string[],
  run: (part: string, report: string) => { status: number | null; signal?: string | null; error?: Error },
  reportOf?: (part: string) => string,
): RunnerResult[];
export function countVitest(report: unknown): Counts;
export function countPlaywright(report: unknown): Counts;
export function summarizePart(result: RunnerResult, floor?: number): PartSummary;
export function summarize(results: RunnerResult[], floors?: Record<string, number>): Summary;
