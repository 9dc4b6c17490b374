// The reduced torch.save fuzz run: every hostile file is refused by the wire decoder with a one-line
// error, none crashes the reader, none hangs.
import {test} from 'node:test';
import {assertClean} from './clean.js';
import {target} from '../../fuzz/torch.js';

test('torch fuzz (reduced): no crash, nothing hostile decoded, no hang', {timeout: 180_000}, async () => {
	await assertClean(target, 6);
});
