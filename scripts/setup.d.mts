// Types for scripts/setup.mjs (plain Node, run before anything is installed or built).
export function electronPlan(env?: NodeJS.ProcessEnv): Promise<{ withElectron: boolean; why: string }>;
export function phaseOf(line: string): string | null;
export function setup(): Promise<void>;
