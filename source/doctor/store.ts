// The object store: an unsigned GET of its URL; any HTTP answer (even 403) means it is reachable.
import {performance} from 'node:perf_hooks';
import {send} from '../orchestrator/http.js';
import {errorMessage} from '../errors.js';
import {fail, ms, pass, type Check} from './types.js';

export async function checkStore(url: string | null, timeoutMs: number): Promise<Check> {
	// The public orchestrators hand out presigned store URLs per upload: nothing to dial up front.
	if (!url) return pass('object_store', 'not checked: the store URL is unknown until the orchestrator hands out upload URLs (pass --store URL to check one)');
	const started = performance.now();
	try {
		const res = await send(url, {method: 'GET', timeoutMs, deadlineMs: timeoutMs, maxBytes: 64 * 1024});
		return pass('object_store', `${url} answered HTTP ${res.status} in ${ms(performance.now() - started)}`);
	} catch (error) {
		return fail('object_store', `${url}: ${errorMessage(error) || 'no answer'}`, 'check the network path to the store (firewall, proxy) or pass the right --store URL');
	}
}
