// The one error the frame decoders throw: a single line saying what was wrong with the bytes.
export class FrameError extends Error {
	constructor(message: string) {
		super(message.split('\n')[0]);
		this.name = 'FrameError';
	}
}

/** Runs a decoder and turns anything it throws into a FrameError (so a library bug cannot leak a stack). */
export function asFrameError<T>(what: string, decode: () => T): T {
	try {
		return decode();
	} catch (error) {
		if (error instanceof FrameError) throw error;
		throw new FrameError(`${what}: ${error instanceof Error ? error.message : String(error)}`);
	}
}
