export type BuildOutput = 'node' | 'renderer' | 'electron';
export const OUTPUTS: Record<BuildOutput, { built: string[]; sources: string[] }>;
export function newestMtime(path: string): number;
export function isStale(root: string, output: BuildOutput): boolean;
