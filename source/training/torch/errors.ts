// The one error type of the torch file reader and writer: a one-line message naming what is wrong.
import {UserError} from '../../errors.js';

export class TorchFormatError extends UserError {
	constructor(message: string) {
		super(message);
		this.name = 'TorchFormatError';
	}
}

export const fail = (message: string): never => {
	throw new TorchFormatError(message);
};
