// Which services the miner can reach: a connection failure marks one down, a success up again; only
// changes become `link` events, so an outage is one line when it starts and one when it ends.
import type {LinkService, MinerEvent, UploadItem} from './types.js';

// Errors that mean the service is not there (refused, reset, unreachable), not that it said no.
const CONNECTION = /ECONNREFUSED|ECONNRESET|EHOSTUNREACH|ENETUNREACH|ETIMEDOUT|EPIPE|socket hang up|fetch failed|other side closed|UND_ERR_SOCKET|connection (?:refused|closed|lost)/i;

export const isConnectionError = (message: string) => CONNECTION.test(message);

export class Links {
	private readonly up = new Map<LinkService, boolean>();
	constructor(
		private readonly dispatch: (event: MinerEvent) => void,
		private readonly now: () => number,
	) {}

	/** Reports a service's state; a first "up" is silent (nothing was wrong). */
	set(service: LinkService, ok: boolean, detail = ''): void {
		const before = this.up.get(service);
		this.up.set(service, ok);
		if (before === ok || (ok && before === undefined)) return;
		this.dispatch({type: 'link', service, ok, detail, at: this.now()});
	}

	/** The store's link as uploads show it: done is up, a connection error is down. */
	fromUpload(item: UploadItem): void {
		if (item.state === 'done') this.set('store', true);
		else if (item.error && isConnectionError(item.error)) this.set('store', false, firstLine(item.error));
	}
}

const firstLine = (text: string) => text.split('\n')[0]!.slice(0, 160);
