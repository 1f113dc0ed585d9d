// A thread holding the thread side of a SqliteWriteLock on command (test/checkin-writer-thread.test.ts).
import { parentPort, workerData } from 'node:worker_threads';
import { SqliteWriteLock } from '../../server/db/sqlite-write-lock.js';

const lock = new SqliteWriteLock((workerData as { lock: SharedArrayBuffer }).lock);
parentPort!.on('message', (command: 'acquire' | 'release') => {
  if (command === 'acquire') lock.acquireThread();
  else lock.releaseThread();
  parentPort!.postMessage(command === 'acquire' ? 'acquired' : 'released');
});
