// Whether Ink can draw here: a TTY on both ends, and not a CI shell (where Ink shows only the last frame).
import isInCi from 'is-in-ci';

// Ink draws only the final frame when CI or CONTINUOUS_INTEGRATION is set, so such a shell
// counts as having no terminal: prompts and live screens would stay blank.
export const inkCanDraw = () => !isInCi;
export const interactive = () => Boolean(process.stdin.isTTY && process.stdout.isTTY) && inkCanDraw();
/** Start of a one-line error when interactive() is false, e.g. noTerminal('to ask on'). */
export const noTerminal = (what: string) =>
	process.stdin.isTTY && process.stdout.isTTY && !inkCanDraw() ? `CI is set, so there is no terminal UI ${what} (unset CI for one)` : `no terminal ${what}`;
