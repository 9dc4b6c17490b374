// The miner's score on the current protocol: only the devnet serves one (a devnet-only route that
// mirrors its validator); elsewhere null, and the session shows the chain's incentive alone.
import {z} from 'zod';
import {CurrentRequestError} from '../../orchestrator/current/errors.js';
import {isDevnet} from './join.js';
import type {CurrentLink} from './link.js';

const DevnetScore = z.object({score: z.number()});

export async function devnetScore(link: CurrentLink): Promise<number | null> {
	if (!isDevnet(link)) return null;
	try {
		return (await link.client.transport.call('GET', '/devnet/miner_score', DevnetScore)).score;
	} catch (error) {
		// An older devnet without the route: no score, not an error.
		if (error instanceof CurrentRequestError && error.status === 404) return null;
		throw error;
	}
}
