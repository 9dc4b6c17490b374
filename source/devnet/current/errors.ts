// Refusals of the current protocol: HTTP 200 {error_name, error_dict} application errors and HTTP-status ones.
import {SPEC_VERSION} from '../../orchestrator/current/signing.js';
import type {LayerPhase} from '../../orchestrator/current/schemas.js';
import {oneLine} from '../core.js';

/** An application error: HTTP 200 with {error_name, error_dict}, as the public client parses them. */
export class ApiError extends Error {
	constructor(
		readonly errorName: string,
		readonly dict: Record<string, unknown>,
	) {
		super(`${errorName}: ${String(dict.message ?? '')}`);
	}
	get body() {
		return {error_name: this.errorName, error_dict: this.dict};
	}
}

/** A refusal with an HTTP status and its JSON body; `close` drops the connection (body left unread). */
export class StatusError extends Error {
	constructor(
		readonly status: number,
		readonly body: unknown,
		readonly close = false,
	) {
		super(`HTTP ${status}`);
	}
}

const named = (name: string) => (message: string) => new ApiError(name, {message: oneLine(message)});

export const notRegistered = named('EntityNotRegisteredError');
export const runFull = named('RunFullError');
/** Not a documented name: the devnet's answer to a well-formed request it cannot honour. */
export const invalidRequest = named('InvalidRequestError');
/** Not documented either: an unknown (or someone else's) registration queue id. */
export const queueError = named('RegistrationQueueError');

export const layerStateError = (layer: number, expected: LayerPhase, actual: LayerPhase) =>
	new ApiError('LayerStateError', {layer, expected_status: expected, actual_status: actual, message: `Layer ${layer} is in ${actual}, expected ${expected}`});

/** `actual` is the header as sent; a missing one reads "None", as Python's str(None). */
export const specVersionError = (actual: string) =>
	new ApiError('SpecVersionError', {expected_version: SPEC_VERSION, actual_version: oneLine(actual).slice(0, 64), message: `Spec version mismatch: expected ${SPEC_VERSION}, got ${oneLine(actual).slice(0, 64)}`});

/** FastAPI's 422 shape: {detail: [{type, loc, msg, input}]}. */
export function validationError(where: 'body' | 'query' | 'path', path: PropertyKey[], message: string, type = 'value_error'): StatusError {
	return new StatusError(422, {detail: [{type, loc: [where, ...path.map(p => (typeof p === 'number' ? p : String(p)))], msg: oneLine(message), input: null}]});
}

export const tooManyRequests = () => new StatusError(429, {detail: 'Rate limit exceeded'});
