// The miner end to end: a devnet (real Subtensor chain with subnet 9, object store, orchestrator)
// with 3 stages and 2 miners per stage runs 2 full merge cycles. Every miner is the real runtime
// (training worker, persistent upload queue, signed client); nothing is mocked.
import {test, before, after} from 'node:test';
import assert from 'node:assert/strict';
import {startSwarm, untilAll, type Swarm} from './swarm.js';

let swarm: Swarm;
let t0 = 0;

before(async () => {
	t0 = Date.now();
	swarm = await startSwarm({miners: 6});
});
after(async () => {
	await swarm?.close();
});

test('6 miners over 3 layers: two full merge cycles, loss falls, every upload done and published', async () => {
	const {miners} = swarm;
	await untilAll(miners, s => s.layer !== null, 60_000, 'registration');
	const layers = miners.map(m => m.store.getState().layer!).sort();
	assert.deepEqual(layers, [0, 0, 1, 1, 2, 2], 'two miners per layer');

	await untilAll(miners, s => s.epoch >= 2, 200_000, 'two merges on every layer');
	const merged = Date.now();
	await Promise.all(miners.map(m => m.handle.stop()));
	const stopped = Date.now();

	for (const m of miners) {
		const s = m.store.getState();
		const st = m.handle.stats();
		assert.equal(s.status, 'stopped');
		assert.equal(s.lastError === null || !/fatal/.test(s.lastError), true);
		// Each miner took part: merge_done twice at least, with epochs 1 and 2 of its layer.
		const epochs = m.events.filter(e => e.type === 'merge_done').map(e => (e as {epoch: number}).epoch);
		assert.ok(epochs.includes(1) && epochs.includes(2), `miner on layer ${s.layer} merged epochs ${epochs}`);
		assert.ok(st.merges >= 2);
		// The phases were walked in order at least twice.
		const phases = m.events.filter(e => e.type === 'phase').map(e => (e as {phase: string}).phase);
		assert.ok(phases.filter(p => p === 'weights_uploading').length >= 2, `phases ${phases}`);
		// Uploads: none failed, none left behind; every activation was published (or dropped as stale
		// because its layer left training first, as v1 does), and most were published.
		assert.equal(st.uploadsFailed, 0);
		assert.equal(s.queue.failed, 0);
		assert.equal(s.queue.pending + s.queue.uploading, 0, 'queue drained on stop');
		assert.ok(s.uploads.every(u => u.state === 'done'));
		assert.equal(st.published + st.stale, st.activationsUploaded, `published ${st.published} + stale ${st.stale} != ${st.activationsUploaded}`);
		assert.ok(st.published > st.stale, `published ${st.published}, stale ${st.stale}`);
		assert.equal(s.published, st.published);
		assert.ok(s.score && s.score.score !== null && s.score.score >= 1, 'orchestrator score shown');
	}
	// Weights: a miner short of BATCHES_BEFORE_MERGING backward passes is not eligible for a merge, so
	// a single miner may sit one out; every layer submitted weights for each of its two merges.
	for (const layer of [0, 1, 2]) {
		const submitted = miners.filter(m => m.store.getState().layer === layer).reduce((n, m) => n + m.handle.stats().weightsSubmitted, 0);
		assert.ok(submitted >= 2, `layer ${layer} submitted weights ${submitted} times over two merges`);
	}
	// Loss: the tail miners' reported losses, first merge epoch vs after the second merge.
	const tails = miners.filter(m => m.store.getState().layer === 2);
	const losses = tails.flatMap(m => {
		let epoch = 0;
		const out: {epoch: number; value: number; at: number}[] = [];
		for (const e of m.events) {
			if (e.type === 'merge_done') epoch = e.epoch;
			if (e.type === 'loss') out.push({epoch, value: e.value, at: e.at});
		}
		return out;
	}).sort((a, b) => a.at - b.at);
	const first = losses.slice(0, 4);
	const last = losses.slice(-4);
	const mean = (xs: {value: number}[]) => xs.reduce((a, x) => a + x.value, 0) / xs.length;
	const summary = {
		seconds_total: Math.round((stopped - t0) / 1000),
		seconds_to_two_merges: Math.round((merged - t0) / 1000),
		losses: losses.length,
		loss_first4: +mean(first).toFixed(3),
		loss_last4: +mean(last).toFixed(3),
		per_miner: miners.map(m => ({layer: m.store.getState().layer, ...m.handle.stats(), epoch: m.store.getState().epoch, backwards: m.store.getState().backwards})),
	};
	console.log(`# e2e summary ${JSON.stringify(summary)}`);
	assert.ok(losses.length >= 8, `only ${losses.length} losses`);
	assert.ok(mean(last) < mean(first), `loss did not fall: ${mean(first)} -> ${mean(last)}`);
});

// The dashboard over the same run: the recorded states of real miners, rendered by the real view.
test('the dashboard shows layer, batch progress toward BATCHES_BEFORE_MERGING, a non-empty queue and a score', async () => {
	const [{render}, React, {Dashboard}, {loadTheme}] = await Promise.all([
		import('ink-testing-library'), import('react'), import('../../source/ui/dashboard/Dashboard.js'), import('../../source/ui/theme.js'),
	]);
	const theme = loadTheme('none');
	const frameOf = (state: import('../../source/miner/types.js').MinerState) => {
		const app = render(React.createElement(Dashboard, {state, theme, width: 120, height: 40, view: 'main'}));
		const frame = app.lastFrame() ?? '';
		app.unmount();
		return frame;
	};
	const all = swarm.miners.flatMap(m => m.states);
	const mid = all.find(s => s.layer !== null && s.settings && s.backwardsSinceMerge > 0 && s.phase === 'is_training');
	assert.ok(mid, 'a state in the middle of a training cycle');
	const progress = frameOf(mid);
	assert.match(progress, new RegExp(`Layer ${mid.layer} of 3`));
	assert.match(progress, new RegExp(`${mid.backwardsSinceMerge}/${mid.settings!.batchesBeforeMerging} backward passes before merge`));

	const queued = all.find(s => s.queue.pending + s.queue.uploading > 0 && s.uploads.some(u => u.state !== 'done'));
	assert.ok(queued, 'some miner had uploads waiting at some point');
	const queueFrame = frameOf(queued);
	assert.match(queueFrame, /Upload queue \d+ pending/);
	assert.match(queueFrame, /(queued|uploading) +(activation|weights|optimizer_state|metadata|partition)/);

	const scored = all.find(s => s.score !== null && s.score.score !== null);
	assert.ok(scored, 'a state with a score');
	const scoreFrame = frameOf(scored);
	assert.match(scoreFrame, /Score devnet-emulated/);
	assert.match(scoreFrame, /orchestrator \d/);
});
