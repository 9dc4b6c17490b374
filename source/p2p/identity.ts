// A miner's iroh identity: secret key = sha256(utf8("iota-miner-" + ss58 hotkey)), so the node id follows from the hotkey.
import {createHash} from 'node:crypto';
import {iroh, toArray} from './iroh.js';

export const minerSecretKey = (hotkey: string): Uint8Array =>
	new Uint8Array(createHash('sha256').update(`iota-miner-${hotkey}`, 'utf8').digest());

/** The node id (hex ed25519 public key) that a miner with this hotkey has. */
export const nodeIdFromSecret = (secret: Uint8Array): string => iroh().SecretKey.fromBytes(toArray(secret)).public().toString();

export const minerNodeId = (hotkey: string): string => nodeIdFromSecret(minerSecretKey(hotkey));
