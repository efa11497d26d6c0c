/**
 * The engine process (Electron utilityProcess): opens the data directory and serves the contract
 * to main over the parent port. SQLite and inference block; here they never freeze the window.
 */
import {
  Airlock,
  createHandlers,
  MediaWatcher,
  SessionTransport,
  toErrorInfo,
  type Handlers,
} from '../../runtime/index.js';
import type { ChannelName } from '../../runtime/contract/index.js';
import type { FromEngine, ToEngine } from './engine-client.js';

const port = process.parentPort;
const post = (message: FromEngine) => port.postMessage(message);

let airlock: Airlock;
let handlers: Handlers;
try {
  const dataDir = process.argv[process.argv.indexOf('--data-dir') + 1];
  if (!dataDir) throw new Error('no --data-dir given to the engine process');
  airlock = Airlock.open({ dataDir });
  handlers = createHandlers(airlock);
  post({ type: 'ready' });
} catch (error) {
  post({ type: 'fatal', error: toErrorInfo(error) });
  process.exit(1);
}

// Inserted and removed USB sticks reach the Media screen as media:changed events. drivelist has
// no notifications, so the watcher polls (every 2 s, never overlapping); a failed poll is retried.
const watcher = new MediaWatcher({
  onChange: (payload) => post({ type: 'event', event: 'media:changed', payload }),
  onError: (error) => console.error(`media watcher: ${toErrorInfo(error).message}`),
});
void watcher.start().catch((error: unknown) => console.error(`media watcher: ${toErrorInfo(error).message}`));
process.on('exit', () => watcher.stop());

/** One session per window: what it signed in with signs its later calls (and nothing else). */
const connections = new Map<number, SessionTransport>();

// The task centre's changes reach each window whose account may see the task (as tasks:list).
const unsubscribe = airlock.tasks.subscribe((payload) => {
  for (const [connection, transport] of connections)
    if (transport.sees(payload)) post({ type: 'event', event: 'task:changed', payload, connection });
});
process.on('exit', () => unsubscribe());

port.on('message', (e: { data: ToEngine }) => {
  const message = e.data;
  if (message.type === 'close') {
    connections.delete(message.connection);
    return;
  }
  let transport = connections.get(message.connection);
  if (!transport) {
    transport = new SessionTransport(airlock, handlers, `app:${process.pid}`);
    connections.set(message.connection, transport);
  }
  void transport
    .invoke(message.channel as ChannelName, message.request, {
      onProgress: (payload) =>
        post({ type: 'event', event: 'operation:progress', payload, connection: message.connection }),
    })
    .then((result) => post({ type: 'result', id: message.id, result }));
});
