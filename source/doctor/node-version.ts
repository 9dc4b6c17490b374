// Node version against the package's engines range (a ">=N" major).
import {pass, fail, type Check} from './types.js';

export const MIN_NODE_MAJOR = 22;

export function nodeVersionCheck(version = process.versions.node, minMajor = MIN_NODE_MAJOR): Check {
	const major = Number(/^v?(\d+)\./.exec(version)?.[1] ?? Number.NaN);
	if (Number.isFinite(major) && major >= minMajor) return pass('node_version', `Node ${version} (needs >= ${minMajor})`, true);
	return fail('node_version', `Node ${version} is older than the ${minMajor} this needs`, `install Node ${minMajor} or newer (e.g. nvm install ${minMajor})`, true);
}
