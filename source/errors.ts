// Errors a user can act on: printed as one line (no stack) with an exit code.
export class UserError extends Error {
	constructor(
		message: string,
		readonly exitCode = 1,
	) {
		super(message);
		this.name = 'UserError';
	}
}

// Usage mistakes (missing flag, bad value): exit code 2 like the argument parser.
export class UsageError extends UserError {
	constructor(message: string) {
		super(message, 2);
		this.name = 'UsageError';
	}
}

export const errorMessage = (error: unknown): string =>
	error instanceof Error ? error.message : String(error);
