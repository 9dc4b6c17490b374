// The swarm's model as its last merge left it: every layer's current merged partitions, read from the devnet store
// and laid end to end (chunks in order make the layer's vector; layers head first make the whole model's).
import type {CurrentDevnet} from '../../source/devnet/devnet.js';
import {makeS3Client} from '../../source/storage/s3.js';
import {Presigner} from '../../source/storage/presign.js';
import {fetchPartitionRegion} from '../../source/training/blob-range.js';

export type MergedModel = {weights: Uint8Array; epochs: number[]};

/** bf16 bytes of the whole merged model, and the epoch each layer's partitions come from. */
export async function mergedModel(devnet: CurrentDevnet, layers: number, stageParams: number[]): Promise<MergedModel> {
	const {url, bucket, accessKeyId, secretAccessKey} = devnet.objectStore;
	const store = new Presigner(makeS3Client({endpoint: url, bucket, accessKeyId, secretAccessKey}), bucket);
	const parts: Uint16Array[] = [];
	const epochs: number[] = [];
	for (let layer = 0; layer < layers; layer++) {
		const rows = devnet.server.state.merge.currentPartitions(layer);
		if (rows.length === 0) throw new Error(`layer ${layer} has no merged partitions`);
		let n = 0;
		for (const row of rows) {
			const {values} = await fetchPartitionRegion(await store.getUrl(row.blob_key, 600), 'weights');
			parts.push(values);
			n += values.length;
		}
		if (n !== stageParams[layer]) throw new Error(`layer ${layer}: merged partitions hold ${n} values, the stage has ${stageParams[layer]}`);
		epochs.push(Math.min(...rows.map(r => r.epoch)));
	}
	const total = parts.reduce((n, p) => n + p.length, 0);
	const out = new Uint16Array(total);
	let at = 0;
	for (const p of parts) {
		out.set(p, at);
		at += p.length;
	}
	return {weights: new Uint8Array(out.buffer), epochs};
}
