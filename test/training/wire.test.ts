// Activations, gradients and token ids between miners as torch.save tensors, and the refusals on receipt.
import assert from 'node:assert/strict';
import {test} from 'node:test';
import {float32, int32} from '../../source/training/tensor-data.js';
import {loadTorch, saveTorch, tensor, type TorchTensor} from '../../source/training/torch/index.js';
import {decodeWire, encodeWire, type WireExpect} from '../../source/training/wire.js';

const act: WireExpect = {kind: 'activation', shape: [null, null, 2], what: 'activation'};
const ids: WireExpect = {kind: 'ids', shape: [null, null], what: 'token ids'};

test('float32 goes out as a bfloat16 tensor (nearest even) and comes back as float32', () => {
	const bytes = encodeWire(float32(Float32Array.from([1, 3.14159, -2, 0.5]), [1, 2, 2]));
	const t = loadTorch(bytes) as TorchTensor;
	assert.equal(t.dtype, 'bfloat16');
	assert.deepEqual(t.shape, [1, 2, 2]);
	const back = decodeWire(bytes, act);
	assert.deepEqual([back.dtype, back.shape], ['float32', [1, 2, 2]]);
	assert.deepEqual([...new Float32Array(back.data)], [1, 3.140625, -2, 0.5]);
});

test('token ids go out as int64 and come back as int32', () => {
	const bytes = encodeWire(int32(Int32Array.from([7, 0, 256]), [1, 3]));
	assert.equal((loadTorch(bytes) as TorchTensor).dtype, 'int64');
	assert.deepEqual([...new Int32Array(decodeWire(bytes, ids).data)], [7, 0, 256]);
});

test('refuses NaN/Inf to send, and a non-tensor, wrong dtype, wrong shape, NaN or garbage on receipt', () => {
	assert.throws(() => encodeWire(float32(Float32Array.from([1, NaN]), [1, 1, 2])), /^UserError: activation contains NaN at element 1$/m);
	assert.throws(() => encodeWire(float32(Float32Array.from([3.4e38, 0]), [1, 1, 2])), /activation in bfloat16 contains Inf at element 0/);
	const bf = (shape: number[], v: number[]) => saveTorch(tensor('bfloat16', shape, Uint16Array.from(v)));
	assert.throws(() => decodeWire(saveTorch(new Map([['a', null]])), act), /activation is not a tensor/);
	assert.throws(() => decodeWire(saveTorch(tensor('float32', [1, 1, 2], new Float32Array(2))), act), /activation is float32, expected bfloat16/);
	assert.throws(() => decodeWire(bf([1, 2], [0, 0]), act), /activation has shape \[1,2\], expected \[\*,\*,2\]/);
	assert.throws(() => decodeWire(bf([1, 1, 2], [0x3f80, 0x7f80]), act), /activation contains Inf at element 1/);
	assert.throws(() => decodeWire(bf([1, 1, 2], [0x7fc0, 0]), act), /activation contains NaN at element 0/);
	assert.throws(() => decodeWire(new TextEncoder().encode('IOTA....'), act), /activation is not a torch.save file/);
	assert.throws(() => decodeWire(saveTorch(tensor('int64', [1, 1], BigInt64Array.from([-1n]))), ids), /token ids holds token id -1, outside int32/);
	assert.throws(() => decodeWire(bf([1, 2], [0, 0]), ids), /token ids is bfloat16, expected int64/);
});
