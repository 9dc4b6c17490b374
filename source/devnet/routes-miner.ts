// Registration, activations (hand-out, publish, timeouts, caches), losses, learning rate.
import {z} from 'zod';
import {ActivationResponse, ActivationUid, LossReportRequest, MinerStatusUpdate} from '../orchestrator/schemas.js';
import {HttpError, type Core} from './core.js';
import type {MinerRow} from './state.js';
import {learningRate} from './learning-rate.js';
import {activationKeyParts, toKey, uploadRefusal} from './paths.js';

const IsActiveQuery = z.strictObject({layer: z.string().regex(/^\d{1,2}$/, 'not a layer number'), activation_uid: ActivationUid});

const none = (reason: ActivationResponse['reason']): ActivationResponse => ({
	activation_uid: null,
	activation_path: null,
	direction: null,
	initial_activation: null,
	initial_activation_path: null,
	reason,
});

export function registerMinerRoutes(core: Core): void {
	const {state, settings} = core;
	const last = settings.layers - 1;

	core.route('GET', '/orchestrator/healthcheck', {auth: 'public'}, () => ({status: 'healthy'}));

	// Layer choice awaits the chain, so two registrations at once would both see the same counts
	// and pile onto one layer: assignments run one at a time.
	let assigning: Promise<unknown> = Promise.resolve();
	const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
		const run = assigning.then(work, work);
		assigning = run.catch(() => {});
		return run;
	};

	core.route('POST', '/orchestrator/register_miner', {auth: 'signed', register: true}, async ({hotkey, miner}) => {
		const layer = miner?.layer ?? (await oneAtATime(() => assignLayer(hotkey)));
		return {hotkey, layer, message: miner ? 'Miner already registered' : 'Miner registered successfully', version: settings.version};
	});

	async function assignLayer(hotkey: string): Promise<number> {
		const known = state.miner(hotkey); // the same hotkey may have asked twice at once
		if (known) return known.layer;
		// Fewest miners first; ties go to the lowest mean incentive, then the lowest index.
		const rows = [];
		for (let l = 0; l < settings.layers; l++) {
			const hotkeys = state.minersInLayer(l).map(m => m.hotkey);
			rows.push({l, n: hotkeys.length, incentive: await core.chain.meanIncentive(hotkeys)});
		}
		rows.sort((a, b) => a.n - b.n || a.incentive - b.incentive || a.l - b.l);
		const layer = rows[0]!.l;
		state.addMiner(hotkey, layer, core.now());
		core.log(`orchestrator: registered ${hotkey} on layer ${layer}`);
		return layer;
	}

	core.route('GET', '/orchestrator/is_registered', {auth: 'signed'}, ({miner}) => ({is_registered: Boolean(miner)}));

	core.route('POST', '/storage/activations/random', {auth: 'miner', high: true}, async ({hotkey, miner}) => {
		const m = miner!;
		core.requirePhase(m, 'is_training');
		const now = core.now();
		const back = state.nextTask(m.layer, 'backward', hotkey);
		const expires = settings.download_expires_s;
		if (back) {
			state.takeTask(back.id, hotkey, now);
			return {...none(null), activation_uid: back.uid, activation_path: await core.presigner.getUrl(back.path, expires), direction: 'backward'};
		}
		if (m.layer !== last && state.held(hotkey) >= settings.cache_limit) return none('out_of_cache');
		const fwd = m.layer > 0 ? state.nextTask(m.layer, 'forward', null) : undefined;
		if (!fwd) return none('no_activation_found');
		state.takeTask(fwd.id, hotkey, now);
		const initial = m.layer === last ? state.sample(fwd.uid)?.initial_path : null;
		return {
			activation_uid: fwd.uid,
			activation_path: await core.presigner.getUrl(fwd.path, expires),
			direction: 'forward',
			initial_activation: initial ? fwd.uid : null,
			initial_activation_path: initial ? await core.presigner.getUrl(initial, expires) : null,
			reason: null,
		};
	});

	core.route('POST', '/orchestrator/miners/status', {auth: 'miner', body: MinerStatusUpdate}, async ({hotkey, miner, body: req}) => {
		const m = miner!;
		if (req.status === 'idle') return {message: 'Status updated'};
		core.requirePhase(m, 'is_training');
		if (!req.activation_uid || !req.activation_path) throw new HttpError(422, 'invalid request: activation_uid and activation_path are required');
		const uid = req.activation_uid;
		const key = toKey(req.activation_path, core.bucket);
		const refusal = uploadRefusal(key, hotkey, m.layer);
		if (refusal || !key.startsWith('activations/')) throw new HttpError(403, refusal ?? 'not an activation path');
		// The object must be this sample's, in this direction: no publishing another sample's upload.
		const parts = activationKeyParts(key);
		if (parts.uid !== uid || parts.direction !== req.status) throw new HttpError(403, `path is not a ${req.status} activation of ${uid}`);
		if ((await core.presigner.size(key)) === null) throw new HttpError(400, `activation object not found in store: ${key}`);
		publish(core, m, req.status, uid, key);
		return {message: `Status updated to ${req.status}`};
	});

	core.route('POST', '/orchestrator/miners/report_loss', {auth: 'miner', body: LossReportRequest}, ({hotkey, miner, body: req}) => {
		const uid = req.activation_uid;
		if (miner!.layer !== last) throw new HttpError(403, 'only the last layer reports losses');
		const mine = last === 0 ? state.sample(uid)?.created_by === hotkey : state.handedTo(uid, last, 'forward', hotkey);
		if (!mine) throw new HttpError(403, 'loss for an activation not handed to this miner');
		if (state.lossReported(hotkey, uid)) throw new HttpError(400, 'loss already reported for this activation');
		const at = core.now();
		state.recordLoss(hotkey, uid, req.loss_value, at);
		return {hotkey, activation_uid: uid, loss_value: req.loss_value, timestamp: at / 1000, message: 'Loss reported successfully'};
	});

	core.route('GET', '/storage/activations/is_active', {auth: 'miner', query: IsActiveQuery}, ({query}) => ({
		is_active: state.isActive(Number(query.layer), query.activation_uid),
	}));

	core.route('GET', '/orchestrator/request_learning_rate', {auth: 'miner'}, () => learningRate(settings, state.completedSamples()));
}

/** Records a finished forward/backward/initial and queues the next step of that sample. */
function publish(core: Core, m: MinerRow, status: 'forward' | 'backward' | 'initial', uid: string, key: string): void {
	const {state, settings} = core;
	const last = settings.layers - 1;
	const now = core.now();
	const L = m.layer;
	state.tx(() => {
		const sample = state.sample(uid);
		if (status === 'initial') {
			if (L !== 0) throw new HttpError(400, 'only layer 0 publishes initial activations');
			if (sample && sample.created_by !== m.hotkey) throw new HttpError(403, 'sample was started by another miner');
			if (sample?.initial_path) throw new HttpError(400, 'initial activation already published for this sample');
			state.upsertSample(uid, key, m.hotkey, now);
			return;
		}
		if (status === 'forward') {
			if (L === last) throw new HttpError(400, 'the last layer publishes backward, not forward');
			if (L === 0) {
				if (sample && sample.created_by !== m.hotkey) throw new HttpError(403, 'sample was started by another miner');
				if (state.hasTask(uid, 1, 'forward')) throw new HttpError(400, 'forward already published for this sample');
				state.upsertSample(uid, null, m.hotkey, now);
			} else {
				const task = state.heldTask(uid, L, 'forward', m.hotkey);
				if (!task) throw new HttpError(400, 'activation is not being processed by this miner');
				state.finishTask(task.id);
			}
			state.addCache(m.hotkey, uid, L, now);
			state.addTask(uid, L + 1, 'forward', key, null, m.hotkey, now);
			return;
		}
		// backward
		if (L === last && L > 0) {
			const task = state.heldTask(uid, L, 'forward', m.hotkey);
			if (!task) throw new HttpError(400, 'activation is not being processed by this miner');
			state.finishTask(task.id);
		} else if (last === 0) {
			if (sample?.created_by !== m.hotkey) throw new HttpError(400, 'sample was not started by this miner');
			if (sample.completed) throw new HttpError(400, 'sample already completed');
		} else {
			const task = state.heldTask(uid, L, 'backward', m.hotkey);
			if (!task) throw new HttpError(400, 'activation is not being processed by this miner');
			state.finishTask(task.id);
			state.dropCache(m.hotkey, uid);
		}
		state.bump(m.hotkey, 'backwards');
		if (L === 0) {
			state.completeSample(uid);
			return;
		}
		const owner = state.cacheOwner(uid, L - 1);
		if (owner) state.addTask(uid, L - 1, 'backward', key, owner, m.hotkey, now);
	});
}
