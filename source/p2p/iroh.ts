// Loads @number0/iroh (napi addon) and converts bytes: its API takes and returns number[] only.
import {createRequire} from 'node:module';
import type * as Iroh from '@number0/iroh/index.js';

export type {Iroh};

let loaded: typeof Iroh | undefined;

/**
 * The addon, loaded on first use so that importing source/p2p never fails: its native binary comes as an
 * optional dependency (@number0/iroh-<platform>), which `npm install --omit=optional` leaves out.
 */
export function iroh(): typeof Iroh {
	if (loaded) return loaded;
	try {
		// The package's "main"/"types" point at a missing iroh-js/ folder; index.js itself is right (and avoids DEP0128).
		loaded = createRequire(import.meta.url)('@number0/iroh/index.js') as typeof Iroh;
		return loaded;
	} catch (error) {
		throw new Error(`the iroh P2P addon cannot load (${firstLine(error)}); reinstall without --omit=optional so its platform package (@number0/iroh-${process.platform}-${process.arch}*) is present`);
	}
}

export const ALPN_BI = 'my-simple-protocol/1.0/bi';
export const ALPN_UNI = 'my-simple-protocol/1.0/uni';
export type StreamKind = 'bi' | 'uni';
export const alpnOf = (kind: StreamKind): string => (kind === 'bi' ? ALPN_BI : ALPN_UNI);

// A preallocated array filled by index is ~8x faster than Array.from on a Uint8Array.
export function toArray(bytes: Uint8Array): number[] {
	const out = new Array<number>(bytes.length);
	for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]!;
	return out;
}

export const fromArray = (arr: number[]): Uint8Array => Uint8Array.from(arr);

/** IPC may hand a Buffer or a plain Uint8Array; either way a Uint8Array over the same bytes. */
export const asBytes = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

export const asciiArray = (text: string): number[] => toArray(new TextEncoder().encode(text));

/** The first line of an addon error (they carry Rust backtraces). */
export const firstLine = (error: unknown): string => (error instanceof Error ? error.message : String(error)).split('\n')[0]!.trim();
