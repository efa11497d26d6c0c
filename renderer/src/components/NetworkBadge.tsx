import { invoke } from '../api.js';
import { useResult } from './ui.js';

/** The top bar's lock: green when every non-app:// request is cancelled and DNS is off. */
export function NetworkBadge() {
  const net = useResult(() => invoke('system:network', {}), []);
  if (!net.data) return null;
  const n = net.data;
  const text = n.locked
    ? `Network locked · ${n.blockedRequests} blocked`
    : n.transport === 'loopback'
      ? 'Test transport (loopback only)'
      : 'Network NOT locked';
  return (
    <span
      className={n.locked ? 'lock ok' : n.transport === 'loopback' ? 'lock info' : 'lock bad'}
      title={`Checked ${n.checkedAt}`}
      data-testid="network-badge"
    >
      <LockIcon open={!n.locked} /> {text}
    </span>
  );
}

export function LockIcon({ open }: { open: boolean }) {
  return (
    <svg className="icon" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true">
      <rect x="3" y="7" width="10" height="8" rx="1.5" fill="currentColor" />
      <path
        d={open ? 'M5 7V4.5a3 3 0 0 1 5.8-1' : 'M5 7V4.5a3 3 0 0 1 6 0V7'}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.6"
      />
    </svg>
  );
}
