// Argon2i with 512 MiB blocks a thread for several seconds: run it in a worker so a spinner
// (and anything else on the main thread) keeps moving.
import {Worker} from 'node:worker_threads';

const workerSource = `
const {parentPort, workerData} = require('node:worker_threads');
import(workerData.sodiumUrl).then(async mod => {
	const sodium = mod.default ?? mod;
	await sodium.ready;
	const key = sodium.crypto_pwhash(32, Buffer.from(workerData.password, 'utf8'), workerData.salt,
		workerData.opslimit, workerData.memlimit, sodium.crypto_pwhash_ALG_ARGON2I13);
	parentPort.postMessage(key);
}).catch(error => parentPort.postMessage({error: String(error && error.message || error)}));
`;

export async function deriveKeyInWorker(password: string, salt: Uint8Array, opslimit: number, memlimit: number): Promise<Uint8Array> {
	const sodiumUrl = import.meta.resolve('libsodium-wrappers-sumo');
	const worker = new Worker(workerSource, {eval: true, workerData: {sodiumUrl, password, salt, opslimit, memlimit}});
	try {
		return await new Promise<Uint8Array>((resolve, reject) => {
			worker.once('message', (m: Uint8Array | {error: string}) =>
				m instanceof Uint8Array ? resolve(m) : reject(new Error(`key derivation failed: ${m.error}`)));
			worker.once('error', reject);
			worker.once('exit', code => reject(new Error(`key derivation worker exited (${code})`)));
		});
	} finally {
		await worker.terminate();
	}
}
