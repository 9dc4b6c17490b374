// (c) bf16 export/import, v1 section metadata and section merge on hand-checkable vectors.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {applySection, bf16ToBytes, bytesToBf16, fromBf16, getSection, mergeSection, parseMetadata, toBf16, vectorMetadata} from '../../source/training/bf16.js';

const bf = (...xs: number[]) => toBf16(Float32Array.from(xs));

test('fp32 -> bf16 rounds to nearest even and keeps specials', () => {
	// 1 = 0x3f80; 1 + 2^-8 is exactly halfway between 0x3f80 and 0x3f81 -> even (0x3f80); 1 + 3*2^-8 -> 0x3f82.
	assert.deepEqual([...bf(1, -2, 0.5, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -7)], [0x3f80, 0xc000, 0x3f00, 0x3f80, 0x3f82, 0x3f81]);
	assert.deepEqual([...bf(Infinity, -Infinity, 0, -0)], [0x7f80, 0xff80, 0, 0x8000]);
	assert.ok(Number.isNaN(fromBf16(bf(NaN))[0]!));
	assert.deepEqual([...fromBf16(Uint16Array.from([0x3f80, 0x4049, 0xbf00]))], [1, 3.140625, -0.5]);
	// Little-endian bytes regardless of host.
	assert.deepEqual([...bf16ToBytes(Uint16Array.from([0x3f80, 0x1234]))], [0x80, 0x3f, 0x34, 0x12]);
	assert.deepEqual([...bytesToBf16(Uint8Array.from([0x80, 0x3f, 0x34, 0x12]))], [0x3f80, 0x1234]);
	assert.throws(() => bytesToBf16(new Uint8Array(3)), /odd byte count/);
});

test('v1 metadata: equal sections, the last takes the remainder', () => {
	const m = vectorMetadata(10, 3);
	assert.deepEqual(m.tensor, {dtype: 'torch.bfloat16', size: [10], num_elements: 10, element_size: 2, total_bytes: 20});
	assert.deepEqual(m.sections, {
		0: {start_byte: 0, end_byte: 6, start_idx: 0, end_idx: 3},
		1: {start_byte: 6, end_byte: 12, start_idx: 3, end_idx: 6},
		2: {start_byte: 12, end_byte: 20, start_idx: 6, end_idx: 10},
	});
	assert.deepEqual(parseMetadata(JSON.parse(JSON.stringify(m))), m);
	assert.throws(() => vectorMetadata(2, 3), /num_sections must be an integer in 1\.\.2/);
	const broken = JSON.parse(JSON.stringify(m));
	broken.sections['1'].end_idx = 5;
	assert.throws(() => parseMetadata(broken), /not contiguous/);
	assert.throws(() => getSection(m, 3), /section 3 not in metadata/);
});

test('section merge is the weighted fp32 mean cast to bf16; other elements stay untouched', () => {
	// Weights 1 and 3 (1 + backward passes): (1*1 + 3*3)/4 = 2.5, (1*2 + 3*4)/4 = 3.5, (-1*1 + 1*3)/4 = 0.5
	const merged = mergeSection([bf(1, 2, -1), bf(3, 4, 1)], [1, 3]);
	assert.deepEqual([...fromBf16(merged)], [2.5, 3.5, 0.5]);
	// 1/3 is not representable: the fp32 mean 1/3 rounds to bf16 0x3eab.
	assert.deepEqual([...mergeSection([bf(0), bf(1), bf(0)], [1, 1, 1])], [0x3eab]);
	const local = bf(10, 11, 12, 13, 14, 15, 16);
	const before = local.slice();
	const meta = vectorMetadata(7, 3);
	const sec = getSection(meta, 1);
	applySection(local, sec, mergeSection([local.subarray(sec.start_idx, sec.end_idx), bf(0, 0)], [1, 1]));
	assert.deepEqual([...fromBf16(local)], [10, 11, 6, 6.5, 14, 15, 16]);
	for (let i = 0; i < 7; i++) if (i < sec.start_idx || i >= sec.end_idx) assert.equal(local[i], before[i]);
	assert.throws(() => mergeSection([bf(1)], [0]), /positive finite/);
	assert.throws(() => mergeSection([bf(1), bf(1, 2)], [1, 1]), /differ in length/);
	assert.throws(() => applySection(local, sec, bf(1)), /needs 2/);
});
