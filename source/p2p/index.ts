// Public face of source/p2p: the transport, the node under it, the cache and every wire frame.
export * from './frames.js';
export {PULL_AUTH_WINDOW_MS, pullAuthMessage, signPullRequest, verifyPullRequest, type P2PSigner, type PullAuth} from './auth.js';
export {ActivationCache, type CacheEntry, type CacheLookup, type CacheOptions} from './cache.js';
export {blake3Hex} from './hash.js';
export {minerNodeId, minerSecretKey} from './identity.js';
export {ALPN_BI, ALPN_UNI, type StreamKind} from './iroh.js';
export {KeyedLimiter} from './limiter.js';
export {MAX_MESSAGE_BYTES, P2PNode, P2PRequestError, type HealthReport, type InboundHandler, type InboundMessage, type NodeOptions, type PeerAddr, type RelayOption, type Stage, type Timeouts} from './node.js';
export * from './transport.js';
