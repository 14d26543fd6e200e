import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { REPO_ROOT } from '../../src/cli/node-env';

/**
 * `npm run search -- ARGS` as a user runs it, in a child process. Spawned without blocking the test worker
 * (a blocking spawn under load starves vitest's worker RPC and fails the run with "Timeout calling onTaskUpdate").
 */
export function searchCli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'src/cli/search.ts'), ...args], { cwd: REPO_ROOT, timeout: 120_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
