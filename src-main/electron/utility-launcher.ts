// Runs each training process as an Electron utilityProcess: a Node child the app
// owns (killed with it, no separate Node install needed), speaking the same
// messages as the child_process.fork launcher the service uses elsewhere. It runs
// the same bundled worker, so it reaches the GPU the same way: Dawn's dawn.node
// (npm webgpu, unpacked from the asar archive by electron-builder.yml), through
// Vulkan, Metal or D3D12. The renderer never touches the GPU for training.
import { utilityProcess } from 'electron';
import { isFromWorker } from '../service/worker/messages';
import type { WorkerHandle, WorkerLauncher } from '../service/worker/launcher';

export function utilityProcessLauncher(script: string, env: Record<string, string> = {}): WorkerLauncher {
  return {
    launch(): WorkerHandle {
      const child = utilityProcess.fork(script, [], {
        serviceName: 'Kervolution training run',
        stdio: 'inherit',
        // macOS hardened runtime: dawn.node and tfjs-node are libraries the app's
        // signature does not cover; the Plugin helper may load them.
        allowLoadingUnsignedLibraries: process.platform === 'darwin',
        env: { ...process.env, ...env },
      });
      let exited = false;
      child.on('exit', () => {
        exited = true;
      });
      return {
        get pid() {
          return child.pid;
        },
        send(msg) {
          // A process that already exited cannot receive; its exit handler reports why.
          if (!exited) child.postMessage(msg);
        },
        onMessage(fn) {
          child.on('message', (raw: unknown) => {
            if (isFromWorker(raw)) fn(raw);
          });
        },
        onExit(fn) {
          // utilityProcess reports only an exit code; a crash shows as a non-zero code.
          child.on('exit', (code) => fn(code, null));
        },
        kill() {
          if (!exited) child.kill();
        },
      };
    },
  };
}
