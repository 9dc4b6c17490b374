// The miner's one state object, built purely from events. Services never touch state: they emit
// MinerEvents; the store runs them through minerReducer. Arrays are bounded so a miner that runs
// for weeks keeps a constant footprint.
import {registrationReducer} from './reducer-registration.js';
import type {MinerEvent, MinerState, MinerStatus, UploadItem} from './types.js';

export const LIMITS = {losses: 120, tokensPerSec: 120, log: 200, uploads: 100};

export function initialMinerState(): MinerState {
	return {
		status: 'starting',
		waitingFor: null,
		hotkey: null,
		uid: null,
		network: null,
		chainUrl: null,
		orchestratorUrl: null,
		orchestratorVersion: null,
		layer: null,
		layers: null,
		phase: null,
		epoch: 0,
		settings: null,
		backend: null,
		backwardsSinceMerge: 0,
		forwards: 0,
		backwards: 0,
		lastHeartbeat: null,
		registration: null,
		deregistered: null,
		links: {},
		learningRate: null,
		uploads: [],
		queue: {pending: 0, uploading: 0, failed: 0, done: 0, bytesPending: 0, full: false},
		published: 0,
		score: null,
		losses: [],
		tokensPerSec: [],
		log: [],
		lastError: null,
		startedAt: null,
		protocol: null,
		runId: null,
		p2p: {in: 0, out: 0, bytesIn: 0, bytesOut: 0, hashFailures: 0, lastMs: null},
	};
}

const tail = <T>(xs: T[], x: T, n: number): T[] => (xs.length >= n ? [...xs.slice(xs.length - n + 1), x] : [...xs, x]);

/** A lost link is logged with what failed; its return with how long it was gone. */
function linkChanged(state: MinerState, e: Extract<MinerEvent, {type: 'link'}>): MinerState {
	const before = state.links[e.service];
	if (before?.ok === e.ok) return state;
	const text = e.ok
		? `${e.service} reachable again${before ? ` after ${Math.round((e.at - before.since) / 1000)} s` : ''}`
		: `${e.service} unreachable: ${e.detail} (retrying; work is kept)`;
	return {...state, links: {...state.links, [e.service]: {ok: e.ok, detail: e.detail, since: e.at}}, log: addLog(state, e.ok ? 'info' : 'warn', text, e.at)};
}

/** Statuses later events may not leave, except for the shutdown path (and a deregistration, for a new uid). */
const ended = (s: MinerStatus) => s === 'stopping' || s === 'stopped' || s === 'error' || s === 'deregistered';
const move = (state: MinerState, to: MinerStatus): MinerStatus => (ended(state.status) ? state.status : to);

function addLog(state: MinerState, level: 'info' | 'warn' | 'error', text: string, at: number): MinerState['log'] {
	return tail(state.log, {at, level, text}, LIMITS.log);
}

/** Upserts an upload item; keeps every unfinished and failed item, and the newest finished ones. */
function applyUpload(state: MinerState, item: UploadItem): Pick<MinerState, 'uploads' | 'queue'> {
	const prev = state.uploads.find(u => u.id === item.id);
	let uploads = prev ? state.uploads.map(u => (u.id === item.id ? item : u)) : [...state.uploads, item];
	if (uploads.length > LIMITS.uploads) {
		let excess = uploads.length - LIMITS.uploads;
		uploads = uploads.filter(u => {
			if (excess > 0 && u.state === 'done' && u.id !== item.id) {
				excess--;
				return false;
			}
			return true;
		});
	}
	const count = (s: UploadItem['state']) => uploads.filter(u => u.state === s).length;
	const doneNow = item.state === 'done' && prev?.state !== 'done' ? 1 : 0;
	return {
		uploads,
		queue: {
			...state.queue,
			pending: count('queued'),
			uploading: count('uploading'),
			failed: count('failed'),
			done: state.queue.done + doneNow,
			bytesPending: uploads.filter(u => u.state === 'queued' || u.state === 'uploading').reduce((a, u) => a + u.bytes, 0),
		},
	};
}

export function minerReducer(state: MinerState, event: MinerEvent): MinerState {
	switch (event.type) {
		case 'started':
			return {
				...state,
				status: move(state, 'starting'),
				hotkey: event.hotkey,
				network: event.network,
				chainUrl: event.chainUrl,
				orchestratorUrl: event.orchestratorUrl,
				startedAt: event.at,
				log: addLog(state, 'info', `miner ${event.hotkey} starting on ${event.network}`, event.at),
			};
		case 'chain_registered':
		case 'deregistered':
		case 'registration':
			return registrationReducer(state, event, addLog);
		case 'registered':
			return {
				...state,
				layer: event.layer,
				orchestratorVersion: event.version,
				status: state.status === 'starting' || state.status === 'registering' ? 'training' : state.status,
				log: addLog(state, 'info', `registered with the orchestrator on layer ${event.layer} (version ${event.version})`, event.at),
			};
		case 'settings':
			return {...state, settings: event.settings, layers: event.settings.layers};
		case 'backend':
			return {...state, backend: {name: event.name, detail: event.detail}};
		case 'phase': {
			const merging = state.status === 'uploading_weights' || state.status === 'merging' || state.status === 'syncing';
			const to: MinerStatus =
				event.phase === 'weights_uploading' ? 'uploading_weights' : event.phase === 'miners_merging_partitions' ? 'merging' : merging ? 'syncing' : 'training';
			const changed = state.phase !== event.phase;
			return {
				...state,
				layer: event.layer,
				phase: event.phase,
				status: move(state, to),
				log: changed ? addLog(state, 'info', `layer ${event.layer}: ${event.phase}`, event.at) : state.log,
			};
		}
		case 'waiting': {
			const next = {...state, waitingFor: event.what};
			return event.queueFull === undefined ? next : {...next, queue: {...state.queue, full: event.queueFull}};
		}
		case 'batch': {
			const backward = event.direction === 'backward';
			const tps = event.ms > 0 ? (event.tokens * 1000) / event.ms : null;
			return {
				...state,
				status: state.status === 'syncing' || state.status === 'registering' || state.status === 'starting' ? move(state, 'training') : state.status,
				forwards: state.forwards + (backward ? 0 : 1),
				backwards: state.backwards + (backward ? 1 : 0),
				backwardsSinceMerge: state.backwardsSinceMerge + (backward ? 1 : 0),
				tokensPerSec: tps === null ? state.tokensPerSec : tail(state.tokensPerSec, tps, LIMITS.tokensPerSec),
			};
		}
		case 'loss':
			return {...state, losses: tail(state.losses, event.value, LIMITS.losses)};
		case 'lr':
			return {...state, learningRate: event.value};
		case 'upload':
			return {...state, ...applyUpload(state, event.item)};
		case 'published':
			return {...state, published: state.published + 1};
		case 'run':
			return {...state, protocol: event.protocol, runId: event.runId};
		case 'p2p': {
			const p = state.p2p;
			const inbound = event.direction === 'in';
			return {...state, p2p: {
				in: p.in + (inbound ? 1 : 0),
				out: p.out + (inbound ? 0 : 1),
				bytesIn: p.bytesIn + (inbound ? event.bytes : 0),
				bytesOut: p.bytesOut + (inbound ? 0 : event.bytes),
				hashFailures: p.hashFailures + (event.hashOk ? 0 : 1),
				lastMs: event.ms,
			}};
		}
		case 'merge_done':
			return {
				...state,
				layer: event.layer,
				epoch: event.epoch,
				phase: 'is_training',
				backwardsSinceMerge: 0,
				status: move(state, 'training'),
				log: addLog(state, 'info', `layer ${event.layer}: merged, epoch ${event.epoch}`, event.at),
			};
		case 'score':
			return {...state, score: {score: event.score, incentive: event.incentive, emission: event.emission, emulated: event.emulated, at: event.at}};
		case 'heartbeat':
			return {...state, lastHeartbeat: event.at};
		case 'link':
			return linkChanged(state, event);
		case 'worker_crash':
			return {
				...state,
				lastError: `training worker crashed: ${event.message}`,
				waitingFor: ended(state.status) ? state.waitingFor : 'the training worker to restart',
				log: addLog(state, 'error', `training worker crashed: ${event.message}`, event.at),
			};
		case 'worker_restarted':
			return {
				...state,
				waitingFor: state.waitingFor === 'the training worker to restart' ? null : state.waitingFor,
				log: addLog(state, 'info', 'training worker restarted', event.at),
			};
		case 'error':
			return {
				...state,
				lastError: event.message,
				status: event.fatal && state.status !== 'stopped' ? 'error' : state.status,
				waitingFor: event.fatal ? null : state.waitingFor,
				log: addLog(state, event.fatal ? 'error' : 'warn', event.message, event.at),
			};
		case 'log':
			return {...state, log: addLog(state, event.level, event.text, event.at)};
		case 'stopping':
			return {...state, status: state.status === 'stopped' ? 'stopped' : 'stopping', log: addLog(state, 'info', 'stopping', event.at)};
		case 'stopped':
			return {...state, status: 'stopped', waitingFor: null, log: addLog(state, 'info', 'stopped', event.at)};
	}
}
