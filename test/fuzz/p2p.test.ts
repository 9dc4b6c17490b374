// The reduced P2P fuzz run: every hostile message (framing, signatures, stale, oversized, truncated,
// tampered hash, replayed pull) is refused by the real transport, in process and over the loopback.
import {test} from 'node:test';
import {assertClean} from './clean.js';
import {target} from '../../fuzz/p2p.js';

test('p2p fuzz (reduced): no crash, nothing hostile accepted, no hang', {timeout: 180_000}, async () => {
	await assertClean(target, 6);
});
