// Hostile cases against authentication and transport: unsigned or malformed headers, forged
// signatures, replays, stale timestamps, tampered bodies and oversized bodies, on every route.
import {randomUUID} from 'node:crypto';
import {u8aToHex} from '@polkadot/util';
import {signedHeaders, type Fixture} from './orchestrator-fixture.js';
import {bodyText, PUBLIC, SIGNED, signed, type Case} from './orchestrator-routes.js';

const MB = 1 << 20;

/** Header mutations that must each be refused (401/409) before the body matters. */
const HEADER_MUTATIONS: [string, (h: Record<string, string>) => void][] = [
	['no headers at all', h => Object.keys(h).forEach(k => delete h[k])],
	...['Epistula-Version', 'Epistula-Timestamp', 'Epistula-Uuid', 'Epistula-Signed-By', 'Epistula-Request-Signature', 'X-Spec-Version'].map(
		(name): [string, (h: Record<string, string>) => void] => [`without ${name}`, h => delete h[name]],
	),
	['Epistula-Version 1', h => (h['Epistula-Version'] = '1')],
	['timestamp not a number', h => (h['Epistula-Timestamp'] = 'now')],
	['timestamp of 17 digits', h => (h['Epistula-Timestamp'] = '1'.repeat(17))],
	['uuid not a uuid', h => (h['Epistula-Uuid'] = 'x'.repeat(40))],
	['signer not an address', h => (h['Epistula-Signed-By'] = '5'.repeat(48))],
	['signature too short', h => (h['Epistula-Request-Signature'] = '0x1234')],
	['signature not hex', h => (h['Epistula-Request-Signature'] = `0x${'zz'.repeat(64)}`)],
	['spec version 4064', h => (h['X-Spec-Version'] = '4064')],
	['uuid with a non-ASCII byte', h => (h['Epistula-Uuid'] = `${randomUUID()}\u00ff`)],
];

export function unsignedCases(): Case[] {
	const cases: Case[] = [];
	for (const r of SIGNED) {
		for (const [name, mutate] of HEADER_MUTATIONS) {
			cases.push({
				name: `${r.name}: ${name}`,
				build: fx => {
					const req = signed(fx, r);
					mutate(req.headers!);
					return req;
				},
			});
		}
		if (!r.register) cases.push({name: `${r.name}: old orchestrator version`, build: fx => withHeader(signed(fx, r), 'X-Orchestrator-Version', 'old')});
	}
	return cases;
}

export function forgedCases(): Case[] {
	return SIGNED.flatMap((r): Case[] => [
		{name: `${r.name}: signed by the outsider, claiming a miner`, build: fx => withHeader(signed(fx, r, {pair: fx.outsider}), 'Epistula-Signed-By', fx.miners[r.signer]!.address)},
		{name: `${r.name}: random signature`, build: fx => withHeader(signed(fx, r), 'Epistula-Request-Signature', u8aToHex(crypto.getRandomValues(new Uint8Array(64))))},
		{name: `${r.name}: signature of another uuid`, build: fx => withHeader(signed(fx, r), 'Epistula-Uuid', randomUUID())},
		{name: `${r.name}: signature of another timestamp`, build: fx => {
			const req = signed(fx, r);
			return withHeader(req, 'Epistula-Timestamp', String(Number(req.headers!['Epistula-Timestamp']) - 1));
		}},
		{name: `${r.name}: validly signed by the outsider`, build: fx => signed(fx, r, {pair: fx.outsider})},
		...(r.register || r.name === 'is_registered' ? [] : [{name: `${r.name}: validly signed by a hotkey that never registered as miner`, build: (fx: Fixture) => signed(fx, r, {pair: fx.idle})}]),
	]);
}

export function replayedCases(): Case[] {
	return SIGNED.flatMap((r): Case[] => [
		{name: `${r.name}: same request twice`, build: fx => twice(signed(fx, r))},
		{name: `${r.name}: same headers, other body`, build: fx => {
			const first = signed(fx, r);
			return [first, {...first, body: first.body === undefined ? undefined : ` ${first.body}`}];
		}},
	]);
}

export function staleCases(): Case[] {
	const skews: [string, () => number][] = [
		['11 s old', () => Date.now() - 11_000],
		['11 s ahead', () => Date.now() + 11_000],
		['an hour old', () => Date.now() - 3_600_000],
		['from 1970', () => 1],
		['from year 2286', () => 9_999_999_999_999],
	];
	return SIGNED.flatMap(r =>
		skews.map(([name, at]): Case => ({
			name: `${r.name}: timestamp ${name}`,
			build: fx => {
				const body = bodyText(r.body?.(fx));
				return {method: r.method, path: r.path(fx), body, headers: signedHeaders(fx, fx.miners[r.signer]!, body, {timestampMs: at()})};
			},
		})),
	);
}

export function tamperedCases(): Case[] {
	return SIGNED.flatMap((r): Case[] => [
		{name: `${r.name}: body changed after signing`, build: fx => {
			const req = signed(fx, r);
			return {...req, body: JSON.stringify(tamper(r.body?.(fx)))};
		}},
		{name: `${r.name}: body signed as {} but sent`, build: fx => {
			const body = JSON.stringify(tamper(r.body?.(fx)));
			return {method: r.method, path: r.path(fx), body, headers: signedHeaders(fx, fx.miners[r.signer]!, body, {signText: '{}'})};
		}},
		{name: `${r.name}: a field added after signing`, build: fx => {
			const req = signed(fx, r);
			const value = r.body?.(fx);
			const extra = Array.isArray(value) ? [...value, {}] : {...(value as object), admin: true};
			return {...req, body: JSON.stringify(extra)};
		}},
	]);
}

export function oversizedCases(reduced: boolean): Case[] {
	const cases: Case[] = [
		{name: `healthcheck: ${reduced ? 64 : 600} MB streamed body`, build: () => ({method: 'GET', path: '/orchestrator/healthcheck', streamBytes: (reduced ? 64 : 600) * MB, deadlineMs: 30_000})},
	];
	for (const p of PUBLIC) {
		cases.push({name: `${p.name}: 20 MB declared and streamed`, build: fx => ({method: 'GET', path: p.path(fx), streamBytes: 20 * MB, headers: {'content-length': String(20 * MB)}})});
		cases.push({name: `${p.name}: 2 KB JSON body`, build: fx => ({method: 'GET', path: p.path(fx), body: JSON.stringify({pad: 'x'.repeat(2048)})})});
	}
	for (const r of SIGNED) {
		cases.push({name: `${r.name}: unsigned 20 MB POST`, build: fx => ({method: 'POST', path: r.path(fx), streamBytes: 20 * MB, headers: {'content-type': 'application/json'}})});
		cases.push({name: `${r.name}: signed headers, 20 MB chunked body`, build: fx => ({method: r.method, path: r.path(fx), streamBytes: 20 * MB, headers: signedHeaders(fx, fx.miners[r.signer]!, undefined)})});
		cases.push({name: `${r.name}: content-length of 1 TB`, build: fx => ({method: r.method, path: r.path(fx), streamBytes: MB, headers: {...signedHeaders(fx, fx.miners[r.signer]!, undefined), 'content-length': String(2 ** 40)}})});
		cases.push({name: `${r.name}: validly signed 1.1 MB JSON`, build: fx => {
			const value = r.body?.(fx) ?? {};
			const big = Array.isArray(value) ? [...value, 'x'.repeat(1_100_000)] : {...(value as object), pad: 'x'.repeat(1_100_000)};
			return signed(fx, r, {body: JSON.stringify(big)});
		}});
	}
	return cases;
}

const withHeader = (req: ReturnType<typeof signed>, name: string, value: string) => ({...req, headers: {...req.headers, [name]: value}});
const twice = (req: ReturnType<typeof signed>) => [req, {...req}];
/** The body with one value changed (or a body where none was signed). */
function tamper(value: unknown): unknown {
	if (value === undefined) return {status: 'idle'};
	if (Array.isArray(value)) return value.map(v => ({...(v as object), chunk_number: 7}));
	const copy = {...(value as Record<string, unknown>)};
	const key = Object.keys(copy)[0];
	if (key === undefined) return {x: 1};
	copy[key] = typeof copy[key] === 'number' ? (copy[key] as number) + 1 : `${String(copy[key])}x`;
	return copy;
}
