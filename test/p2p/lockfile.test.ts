// npm ci refuses a lock that lacks any optional dependency, and @number0/iroh 1.1.0 names platform packages the
// registry never published (404), which `npm install` leaves out; the lock carries platform-only entries for them.
import {test} from 'node:test';
import assert from 'node:assert/strict';
import {readFileSync} from 'node:fs';

test('package-lock.json has an entry for every platform package @number0/iroh names, each limited to its platform', () => {
	const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as {packages: Record<string, {optionalDependencies?: Record<string, string>; optional?: boolean; os?: string[]; cpu?: string[]}>};
	const iroh = lock.packages['node_modules/@number0/iroh'];
	assert.ok(iroh?.optionalDependencies, '@number0/iroh is in the lock');
	const names = Object.keys(iroh.optionalDependencies);
	assert.ok(names.length >= 3);
	for (const name of names) {
		const entry = lock.packages[`node_modules/${name}`];
		assert.ok(entry, `${name} missing from package-lock.json: npm ci would refuse the lock (re-add its platform-only entry)`);
		assert.equal(entry.optional, true, `${name} is optional`);
		assert.ok(entry.os?.length && entry.cpu?.length, `${name} names its os and cpu, so other platforms skip it without a download`);
	}
});
