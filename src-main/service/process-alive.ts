// Whether a process with this pid exists (signal 0 checks without signalling):
// how the workbench tells work a dead process left behind from work another live
// workbench on the same data folder is doing.
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
