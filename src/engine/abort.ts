/**
 * Bridges an AbortSignal to a native CancelToken for the duration of one job, and turns the
 * native cancellation error into the package's AbortError.
 */
import { binding, RawCancelToken } from '../native/binding';
import { AbortError, isAbortSignal, typeError } from '../util/errors';

export async function withCancellation<T>(signal: AbortSignal | undefined, job: (token: RawCancelToken) => Promise<T>): Promise<T> {
  if (signal !== undefined && !isAbortSignal(signal)) throw typeError('signal', 'an AbortSignal', signal);
  if (signal?.aborted) throw new AbortError();
  const token = new (binding().CancelToken)();
  const onAbort = () => token.cancel();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await job(token);
  } catch (err) {
    if ((err as { code?: string }).code === 'ABORT_ERR') throw new AbortError();
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}
