/** Runs the CLI in-process through main(), capturing stderr: exit codes and messages without a build. */
import { main } from '../../src/cli/main';

export async function runCli(...args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  const spy = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += chunk.toString();
    return true;
  });
  try {
    const code = await main(['node', 'hessian-lab', ...args]);
    return { code, stderr };
  } finally {
    spy.mockRestore();
  }
}
