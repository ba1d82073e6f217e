/**
 * Ctrl-C (SIGINT) and SIGTERM abort the running work through an AbortController instead of
 * killing the process mid-write: native jobs stop at their next block, atomic writes never leave
 * half a file, and the CLI exits 130. A second Ctrl-C exits at once.
 */
export function onInterrupt(abort: () => void): () => void {
  let count = 0;
  const handler = () => {
    count += 1;
    if (count > 1) process.exit(130);
    abort();
  };
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
