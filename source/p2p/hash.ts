// BLAKE3 hex of exact bytes, the activation hash IOTA's miners compare (hash-wasm: ~20 ms per 4 MiB).
import {createBLAKE3, type IHasher} from 'hash-wasm';

let hasher: Promise<IHasher> | undefined;

export async function blake3Hex(bytes: Uint8Array): Promise<string> {
	// One wasm instance reused; the calls below are synchronous, so concurrent callers cannot interleave.
	const h = await (hasher ??= createBLAKE3());
	return h.init().update(bytes).digest('hex');
}
