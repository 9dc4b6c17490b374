// PyTorch's torch.save / torch.load(weights_only=True) file format, read and written without executing anything.
export {loadTorch} from './torch-load.js';
export {saveTorch, contiguousStrides, type SaveOptions} from './torch-save.js';
export {defaultTorchLimits, type TorchLimits} from './limits.js';
export {TorchFormatError} from './errors.js';
export {dtypeInfo, type DType, type TensorData, type TensorDataOf} from './dtypes.js';
export {tensor, isTensor, checkTensor, numel, TorchTuple, TorchOrderedDict, type TorchTensor, type TorchValue, type TorchKey} from './values.js';
export {float16ToFloat32, float32ToFloat16, bf16ToFloat32, float32ToBf16} from './half.js';
