// Hostile cases against the current protocol's request checks: spec version, Epistula headers and
// signatures, the signer's registration, X-Request-Id replay, staleness and body size, on every route.
import {randomUUID} from 'node:crypto';
import {u8aToHex} from '@polkadot/util';
import {currentHeaders, signedAt, wire} from './current-fixture.js';
import {ROUTES, signedReq, withHeader, type CurrentCase} from './current-routes.js';

const MB = 1 << 20;
const REQUIRED = ['Epistula-Timestamp', 'Epistula-Signed-By', 'Epistula-Request-Signature', 'X-Request-Id'];

export function specCases(): CurrentCase[] {
	const versions: [string, string | undefined][] = [['missing', undefined], ['30016', '30016'], ['30018', '30018'], ['not a number', 'abc'], ['30017.0', '30017.0'], ['40 digits', '9'.repeat(40)]];
	return ROUTES.flatMap(route => versions.map(([name, v]): CurrentCase => ({name: `${route.name}: X-Spec-Version ${name}`, build: fx => withHeader(signedReq(fx, route), 'X-Spec-Version', v)})));
}

export function authCases(): CurrentCase[] {
	return ROUTES.flatMap((route): CurrentCase[] => [
		...REQUIRED.map((h): CurrentCase => ({name: `${route.name}: without ${h}`, build: fx => withHeader(signedReq(fx, route), h, undefined)})),
		{name: `${route.name}: random signature`, build: fx => withHeader(signedReq(fx, route), 'Epistula-Request-Signature', u8aToHex(crypto.getRandomValues(new Uint8Array(64))))},
		{name: `${route.name}: signature not hex`, build: fx => withHeader(signedReq(fx, route), 'Epistula-Request-Signature', `0x${'zz'.repeat(64)}`)},
		{name: `${route.name}: signature too short`, build: fx => withHeader(signedReq(fx, route), 'Epistula-Request-Signature', '0x1234')},
		{name: `${route.name}: signature of another timestamp`, build: fx => {
			const req = signedReq(fx, route);
			return withHeader(req, 'Epistula-Timestamp', String(Number(req.headers!['Epistula-Timestamp']) - 1));
		}},
		{name: `${route.name}: body changed after signing`, build: fx => withHeader({...signedReq(fx, route), body: JSON.stringify({tampered: true})}, 'Content-Type', 'application/json')},
		{name: `${route.name}: body signed as {} but sent`, build: fx => {
			const body = JSON.stringify({x: 1});
			return {method: route.method, path: route.path(fx), body, headers: currentHeaders(fx.miners[route.signer]!, body, {signText: '{}'})};
		}},
		{name: `${route.name}: signer not an address`, build: fx => withHeader(signedReq(fx, route), 'Epistula-Signed-By', '5'.repeat(48))},
	]);
}

export function hotkeyCases(): CurrentCase[] {
	return ROUTES.flatMap((route): CurrentCase[] => [
		{name: `${route.name}: validly signed by a key outside the metagraph`, build: fx => signedReq(fx, route, {pair: fx.outsider})},
		{name: `${route.name}: signed by the outsider, Signed-By a miner`, build: fx => withHeader(signedReq(fx, route, {pair: fx.outsider}), 'Epistula-Signed-By', fx.miners[route.signer]!.address)},
		{name: `${route.name}: signed by a miner, Signed-By another miner`, build: fx => withHeader(signedReq(fx, route), 'Epistula-Signed-By', fx.miners[(route.signer + 1) % 3]!.address)},
		...(route.miner ? [{name: `${route.name}: validly signed by a subnet hotkey not registered here`, build: fx => signedReq(fx, route, {pair: fx.idle})} satisfies CurrentCase] : []),
	]);
}

export function replayCases(): CurrentCase[] {
	return ROUTES.flatMap((route): CurrentCase[] => [
		{name: `${route.name}: same request twice`, build: fx => {
			const req = signedReq(fx, route);
			return [req, {...req}];
		}},
		{name: `${route.name}: same X-Request-Id, signed afresh`, build: fx => {
			const id = randomUUID();
			return [signedReq(fx, route, {requestId: id}), signedReq(fx, route, {requestId: id, timestampMs: Date.now() + 1})];
		}},
		{name: `${route.name}: X-Request-Id of 129 characters`, build: fx => signedReq(fx, route, {requestId: 'r'.repeat(129)})},
	]);
}

export function staleCases(): CurrentCase[] {
	const skews: [string, () => string][] = [
		['61 s old', () => String(Date.now() - 61_000)],
		['an hour old', () => String(Date.now() - 3_600_000)],
		['from 1970', () => '1'],
		['zero', () => '0'],
		['negative', () => '-5'],
		['in seconds, not ms', () => String(Math.floor(Date.now() / 1000))],
		['Infinity', () => 'Infinity'],
		['NaN', () => 'NaN'],
		['25 digits', () => '9'.repeat(25)],
	];
	return ROUTES.flatMap(route =>
		skews.map(([name, at]): CurrentCase => ({
			name: `${route.name}: timestamp ${name}`,
			// Signed over the timestamp as sent, so only its value is wrong.
			build: fx => {
				const body = wire(route.body?.(fx));
				return {method: route.method, path: route.path(fx), body, headers: signedAt(fx.miners[route.signer]!, body, at())};
			},
		})),
	);
}

export function oversizedCases(reduced: boolean): CurrentCase[] {
	const cases: CurrentCase[] = [
		{name: `healthcheck: ${reduced ? 32 : 300} MB streamed body`, build: () => ({method: 'GET', path: '/healthcheck', streamBytes: (reduced ? 32 : 300) * MB, deadlineMs: 30_000})},
		{name: 'healthcheck: 2 KB JSON body', build: () => ({method: 'GET', path: '/healthcheck', body: JSON.stringify({pad: 'x'.repeat(2048)})})},
		{name: 'bridge/set: 20 MB declared and streamed', build: () => ({method: 'POST', path: '/bridge/set', streamBytes: 20 * MB, headers: {'content-length': String(20 * MB)}})},
		{name: 'bridge/register: 300 KB JSON', build: () => ({method: 'POST', path: '/bridge/register', body: JSON.stringify({variables: [{var_id: 'x', default_value: 'x'.repeat(300 * 1024), var_type: 'str'}]})})},
	];
	for (const route of ROUTES) {
		cases.push({name: `${route.name}: unsigned 20 MB POST`, build: fx => ({method: 'POST', path: route.path(fx), streamBytes: 20 * MB, headers: {'content-type': 'application/json'}})});
		cases.push({name: `${route.name}: signed headers, 20 MB chunked body`, build: fx => ({method: route.method, path: route.path(fx), streamBytes: 20 * MB, headers: currentHeaders(fx.miners[route.signer]!, undefined)})});
		cases.push({name: `${route.name}: content-length of 1 TB`, build: fx => ({method: route.method, path: route.path(fx), streamBytes: MB, headers: {...currentHeaders(fx.miners[route.signer]!, undefined), 'content-length': String(2 ** 40)}})});
		cases.push({name: `${route.name}: validly signed JSON just over its ${route.limit} B limit`, build: fx => signedReq(fx, route, {body: padded(route.body?.(fx), route.limit + 1)})});
	}
	return cases;
}

/** `value` (an object or list) grown by a filler field or item to at least `bytes` of JSON. */
function padded(value: unknown, bytes: number): string {
	const pad = 'x'.repeat(bytes);
	return JSON.stringify(Array.isArray(value) ? [...value, pad] : {...(value as object | undefined), pad});
}
