// Child process for the crash test: fills a queue whose uploads hang at the store, says "ready",
// and is then killed with SIGKILL by the test (a real crash, no close()).
import {UploadQueue} from '../../source/storage/upload-queue.js';
import {bodyOf, putTo} from './store-server.js';

const [dir, url, count] = process.argv.slice(2) as [string, string, string];
const queue = await UploadQueue.open({dir, concurrency: 2, run: putTo(url)});
const ids: string[] = [];
for (let i = 0; i < Number(count); i++) ids.push(await queue.enqueue({key: `act/${i}.bin`, kind: 'activation', body: bodyOf(i), meta: {i}}));
process.stdout.write(`${JSON.stringify(ids)}\n`);
