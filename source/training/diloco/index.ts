// DiLoCo as IOTA's current miners run it: pseudo-gradients, chunk ranges, the per-chunk merge with outer Nesterov SGD, the download check.
export * from './average.js';
export * from './bf16-ops.js';
export * from './download-check.js';
export * from './merge.js';
export * from './outer.js';
export * from './partitions.js';
export * from './pseudo-gradient.js';
