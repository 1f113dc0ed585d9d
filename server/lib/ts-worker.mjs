// A worker thread's entry while the server runs from its TypeScript sources (`npm start`, Vitest):
// a worker does not inherit the main thread's loader, so tsx is registered here before the worker's
// own module (workerData.entry, a .ts file) is imported. The build's workers start from their
// compiled .js directly and never come here.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
