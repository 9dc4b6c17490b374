// What the upload queue holds, as the miner's state and views show it.
export type UploadKind = 'activation' | 'weights' | 'optimizer_state' | 'metadata' | 'partition';
export type UploadState = 'queued' | 'uploading' | 'done' | 'failed';

export type UploadItem = {
	id: string;
	key: string; // object-store key, e.g. activations/{uid}/{layer}/{direction}/{uuid}.bin
	kind: UploadKind;
	bytes: number;
	attempts: number;
	state: UploadState;
	error: string | null;
	queuedAt: number; // ms epoch
};
