// Types for prereqs.mjs (plain JS so that `npm test` needs no TypeScript runner).
export interface Prereq { pkg: string; what: string; for: ('test' | 'browser' | 'cli')[]; ok: () => boolean }
export const PREREQS: Prereq[];
export function vulkanLoaderFound(): boolean;
export function swiftshaderIcd(): string | null;
export function hasGpuDevice(): boolean;
export function missingPrereqs(purpose: 'test' | 'browser' | 'cli'): Prereq[];
export function installCommand(missing: Prereq[]): string;
export function tryInstall(missing: Prereq[], options?: { log?: (line: string) => void; stdio?: unknown }): boolean;
export function cliPrereqProblem(): string | null;
export function ensurePrereqs(options?: { browserOnly?: boolean; purpose?: 'test' | 'browser' | 'cli' }): void;
