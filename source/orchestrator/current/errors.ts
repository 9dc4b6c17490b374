// Typed errors for spec 30017: the orchestrator's HTTP-200 {error_name, error_dict} replies, and failed requests.
import * as S from './schemas.js';

/** One printable line from server text: control characters out, length capped. */
export const oneLine = (text: string, max = 200): string => {
	const flat = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ').trim();
	return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** The orchestrator answered with an error_name (kept as given); `route` is "METHOD /path". */
export class CurrentProtocolError extends Error {
	constructor(
		readonly errorName: string,
		readonly route: string,
		message: string,
		readonly serverMessage?: string,
	) {
		super(`${route}: ${message}`);
		this.name = new.target.name;
	}
}

export class RunFullError extends CurrentProtocolError {
	constructor(route: string, serverMessage?: string) {
		super('RunFullError', route, 'the run is full, no room for another miner now: retry registration later', serverMessage);
	}
}
export class MinerFrozenError extends CurrentProtocolError {
	constructor(route: string, serverMessage?: string) {
		super('MinerFrozenError', route, 'the orchestrator has frozen this miner: wait (about a minute) and retry', serverMessage);
	}
}
export class MinerInitializingError extends CurrentProtocolError {
	constructor(route: string, serverMessage?: string) {
		super('MinerInitializingError', route, 'the orchestrator still holds this miner as initializing: wait (about a minute) and retry', serverMessage);
	}
}
export class EntityNotRegisteredError extends CurrentProtocolError {
	constructor(route: string, serverMessage?: string) {
		super('EntityNotRegisteredError', route, 'this hotkey is not registered with the orchestrator: register again', serverMessage);
	}
}
export class LayerStateError extends CurrentProtocolError {
	constructor(
		route: string,
		readonly layer: number,
		readonly expected_status: S.LayerPhase,
		readonly actual_status: S.LayerPhase,
	) {
		super('LayerStateError', route, `layer ${layer} is in ${actual_status}, not ${expected_status}: resync with a heartbeat`);
	}
}
export class SpecVersionError extends CurrentProtocolError {
	constructor(
		route: string,
		readonly expected_version: number,
		readonly actual_version: string,
	) {
		super('SpecVersionError', route, `the orchestrator speaks spec ${expected_version}, we sent ${oneLine(actual_version, 32)}: update iota-tui`);
	}
}

/** The request itself failed: transport, HTTP status, or a reply that is not the documented shape. */
export class CurrentRequestError extends Error {
	constructor(
		readonly route: string,
		/** HTTP status, 0 when there was no reply. */
		readonly status: number,
		readonly detail: string,
	) {
		super(`${route}: ${status ? `HTTP ${status} ` : ''}${detail}`);
		this.name = 'CurrentRequestError';
	}
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** True when a parsed 200 reply is an error reply (Python: `response.get("error_name") is not None`). */
export const isErrorReply = (reply: unknown): boolean => isObject(reply) && reply.error_name !== undefined && reply.error_name !== null;

/** The typed error for an error reply; a malformed or unknown one becomes a plain CurrentProtocolError. */
export function errorFromReply(reply: unknown, route: string): CurrentProtocolError {
	const parsed = S.ErrorReply.safeParse(reply);
	if (!parsed.success) return new CurrentProtocolError('unknown', route, 'malformed error reply from the orchestrator');
	const {error_name: name, error_dict: dict} = parsed.data;
	const message = () => {
		const m = S.MessageErrorDict.safeParse(dict ?? {});
		return m.success && m.data.message ? oneLine(m.data.message) : undefined;
	};
	switch (name) {
		case 'RunFullError':
			return new RunFullError(route, message());
		case 'MinerFrozenError':
			return new MinerFrozenError(route, message());
		case 'MinerInitializingError':
			return new MinerInitializingError(route, message());
		case 'EntityNotRegisteredError':
			return new EntityNotRegisteredError(route, message());
		case 'LayerStateError': {
			const d = S.LayerStateErrorDict.safeParse(dict ?? {});
			if (d.success) return new LayerStateError(route, d.data.layer, d.data.expected_status, d.data.actual_status);
			break;
		}
		case 'SpecVersionError': {
			const d = S.SpecVersionErrorDict.safeParse(dict ?? {});
			if (d.success) return new SpecVersionError(route, d.data.expected_version, d.data.actual_version);
			break;
		}
		default: {
			const m = message();
			return new CurrentProtocolError(name, route, `orchestrator error ${oneLine(name, 64)}${m ? `: ${m}` : ''}`, m);
		}
	}
	return new CurrentProtocolError(name, route, `malformed ${oneLine(name, 64)} reply from the orchestrator`);
}
