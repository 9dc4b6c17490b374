// Every byte format iota-tui speaks with IOTA peers, in one import.
export * from './status.js';
export * from './frame-error.js';
export * from './pull-frames.js';
export * from './envelope.js';
export * from './push-message.js';
export * from './peer-status.js';
export {MAX_BODY_BYTES} from './model-body.js';
