// The orchestrator: its public health route answers (with latency), and this clock against its Date header.
import {performance} from 'node:perf_hooks';
import {ClockSkew, SKEW_WARN_MS} from '../orchestrator/clock-skew.js';
import {send, type HttpResponse} from '../orchestrator/http.js';
import type {MinerProtocolName} from '../chain/networks.js';
import {errorMessage} from '../errors.js';
import {SYNC_CLOCK_FIX, fail, ms, pass, type Check} from './types.js';

export type OrchestratorTarget = {url: string | null; protocol: MinerProtocolName; local: boolean; timeoutMs: number};

/** v1 serves GET /orchestrator/healthcheck, the current protocol GET /healthcheck (both unsigned). */
export const healthPath = (protocol: MinerProtocolName) => (protocol === 'v1' ? '/orchestrator/healthcheck' : '/healthcheck');

export function orchestratorClockCheck(res: HttpResponse, now = Date.now()): Check {
	const skew = new ClockSkew();
	skew.note(res, now);
	if (skew.ms === null) return pass('clock_orchestrator', 'not checked: the reply had no Date header');
	const s = Math.round(Math.abs(skew.ms) / 1000);
	if (Math.abs(skew.ms) >= SKEW_WARN_MS) return fail('clock_orchestrator', skew.text()!.replace(/, so .*$/, ': signed requests can be refused as stale'), SYNC_CLOCK_FIX);
	return pass('clock_orchestrator', `within ${s} s of the orchestrator's clock (Date header, 1 s resolution)`);
}

const unreachableFix = (local: boolean) => local
	? 'start the local devnet: `iota-tui devnet` (or pass --orchestrator URL)'
	: 'check the internet connection and --orchestrator URL';

export async function checkOrchestrator(t: OrchestratorTarget): Promise<Check[]> {
	if (!t.url) {
		return [fail('orchestrator', 'no orchestrator URL known for this network', 'pass --orchestrator URL', true),
			fail('clock_orchestrator', 'not checked: no orchestrator', 'pass --orchestrator URL')];
	}
	const url = `${t.url.replace(/\/+$/, '')}${healthPath(t.protocol)}`;
	const started = performance.now();
	let res: HttpResponse;
	try {
		res = await send(url, {method: 'GET', timeoutMs: t.timeoutMs, deadlineMs: t.timeoutMs, maxBytes: 64 * 1024});
	} catch (error) {
		return [fail('orchestrator', `${url}: ${errorMessage(error) || 'no answer'}`, unreachableFix(t.local), true),
			fail('clock_orchestrator', 'not checked: the orchestrator is unreachable', 'reach the orchestrator first')];
	}
	const took = ms(performance.now() - started);
	const clock = orchestratorClockCheck(res);
	if (res.status < 200 || res.status >= 300) {
		const fix = `the orchestrator is up but unhealthy, or this is not its ${t.protocol} API: check --orchestrator and --protocol, or try later`;
		return [fail('orchestrator', `${url} answered HTTP ${res.status} in ${took}`, fix, true), clock];
	}
	return [pass('orchestrator', `${url} answered ${res.status} in ${took} (protocol ${t.protocol})`, true), clock];
}
