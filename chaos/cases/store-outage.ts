// The object store stopped for 30 s while the swarm trains, then started again: nothing crashes, the
// console shows the outage while it lasts, and every upload the miners computed lands exactly once.
import {everyLayerMerges, fatalErrors, is, unexpectedExits} from '../checks.js';
import {sleep, verdict, type ChaosCase} from '../types.js';

export const storeOutage: ChaosCase = {
	name: 'store-outage',
	async run({swarm, reduced, log}) {
		const outageMs = reduced ? 10_000 : 30_000;
		const from = swarm.events.length;
		const fromLine = swarm.lines.length;
		await swarm.store.kill('SIGKILL');
		const down = Date.now();
		log(`store killed; back in ${outageMs / 1000} s`);
		await sleep(outageMs);
		const shownDuring = swarm.since(from, e => e.event === 'link' && e.service === 'store' && e.ok === false).length;
		await swarm.store.start();
		log(`store back after ${Math.round((Date.now() - down) / 1000)} s`);
		const back = swarm.events.length;
		const merged = await everyLayerMerges(swarm, back, 1, reduced ? 240_000 : 420_000);
		const cut = swarm.events.length;
		await sleep(5000); // uploads started just before the cut may finish
		const uploads = swarm.since(from, is('upload'));
		const done = new Map<string, number>();
		for (const u of uploads) if (u.state === 'done') done.set(`${u.hotkey} ${u.key}`, (done.get(`${u.hotkey} ${u.key}`) ?? 0) + 1);
		const duplicates = [...done.values()].filter(n => n > 1).length;
		// Every key that started uploading ended done, or failed as a best-effort spot check (logged).
		const started = new Set(swarm.events.slice(from, cut).filter(is('upload')).map(u => `${u.hotkey} ${u.key}`));
		const failedKeys = new Set(uploads.filter(u => u.state === 'failed').map(u => `${u.hotkey} ${u.key}`));
		const lost = [...started].filter(k => !done.has(k) && !(failedKeys.has(k) && /activations\//.test(k))).length;
		const counts = {
			outage_s: outageMs / 1000, link_down_events: shownDuring, link_up_events: swarm.since(from, e => e.event === 'link' && e.service === 'store' && e.ok === true).length,
			uploads_done: done.size, upload_failures: uploads.filter(u => u.state === 'failed').length, duplicates, lost,
			merges_after: swarm.merges(back).reduce((a, b) => a + b, 0), exits: unexpectedExits(swarm, fromLine).length, fatal: fatalErrors(swarm, from).length,
		};
		return verdict('store-outage', counts, {
			'the console showed the outage': shownDuring > 0,
			'every layer merged after the store came back': merged,
			'no upload landed twice': duplicates === 0,
			'no computed upload lost': lost === 0,
			'no miner exited or failed': counts.exits === 0 && counts.fatal === 0,
		});
	},
};
