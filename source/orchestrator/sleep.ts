// A wait that a stop signal cuts short, rejecting with the caller's own error.
export function abortableSleep(ms: number, signal: AbortSignal | undefined, stopped: () => Error): Promise<void> {
	return new Promise((resolve, reject) => {
		if (signal?.aborted) return reject(stopped());
		const t = setTimeout(() => {
			signal?.removeEventListener('abort', onAbort);
			resolve();
		}, ms);
		const onAbort = () => {
			clearTimeout(t);
			reject(stopped());
		};
		signal?.addEventListener('abort', onAbort, {once: true});
	});
}
