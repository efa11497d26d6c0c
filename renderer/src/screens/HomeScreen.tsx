import { available, invoke, invokeDynamic } from '../api.js';
import { LockIcon } from '../components/NetworkBadge.js';
import { Badge, Card, ErrorNote, KeyValues, Unavailable, useResult } from '../components/ui.js';
import { when } from '../format.js';
import { useApp } from '../store.js';
import type { AuditRecord, InstalledModel, TrustKey } from '../../../runtime/contract/index.js';

interface Alert {
  tone: 'bad' | 'warn';
  text: string;
}

export function alertsFor(
  keys: readonly TrustKey[] | null,
  models: readonly InstalledModel[] | null,
  events: readonly AuditRecord[] | null,
): Alert[] {
  const alerts: Alert[] = [];
  if (keys && keys.filter((k) => k.role === 'publisher').length === 0) {
    alerts.push({
      tone: 'warn',
      text: 'No publisher key is trusted yet: bundles cannot be imported. Add one in Settings.',
    });
  }
  for (const m of models ?? []) {
    if (!m.enabled)
      alerts.push({
        tone: 'warn',
        text: `${m.name}@${m.version} is disabled: ${m.disabledReason ?? 'by an admin'}.`,
      });
  }
  for (const e of events ?? []) {
    if (e.outcome !== 'success') {
      alerts.push({
        tone: e.outcome === 'refused' ? 'bad' : 'warn',
        text: `${e.outcome === 'refused' ? 'Refused' : 'Failed'}: ${e.action} ${e.target} (${when(e.ts)})`,
      });
    }
  }
  return alerts.slice(0, 6);
}

export function HomeScreen() {
  const go = useApp((s) => s.go);
  const info = useResult(() => invoke('system:info', {}), []);
  const net = useResult(() => invoke('system:network', {}), []);
  const keys = useResult(() => invoke('trust:list', {}), []);
  const models = useResult(() => invoke('models:list', { includeDisabled: true }), []);
  const events = useResult(() => invoke('audit:list', { limit: 8, order: 'desc' }), []);
  const hardware = useResult(() => invokeDynamic<Record<string, unknown>>('hardware:info', {}), []);
  const alerts = alertsFor(keys.data, models.data, events.data);

  return (
    <div className="grid">
      <Card title="Network" testId="home-network">
        <ErrorNote error={net.error} />
        {net.data ? (
          <>
            <p className={net.data.locked ? 'big ok' : 'big bad'}>
              <LockIcon open={!net.data.locked} />{' '}
              {net.data.locked
                ? 'Locked: this app cannot reach any network'
                : net.data.transport === 'loopback'
                  ? 'Loopback test transport (127.0.0.1 only)'
                  : 'Not locked'}
            </p>
            <ul className="checks">
              {net.data.checks.map((c) => (
                <li key={c.name}>
                  <Badge tone={c.ok ? 'ok' : 'bad'}>{c.ok ? 'yes' : 'no'}</Badge> {c.name}
                  <span className="muted"> · {c.detail}</span>
                </li>
              ))}
            </ul>
            <p className="muted small">
              {net.data.blockedRequests} requests blocked
              {net.data.dnsRule ? `, DNS disabled (${net.data.dnsRule})` : ''}, checked at{' '}
              {when(net.data.checkedAt)}
            </p>
          </>
        ) : null}
      </Card>
      <Card title="Alerts" testId="home-alerts">
        <ErrorNote error={keys.error ?? models.error ?? events.error} />
        {alerts.length === 0 ? (
          <p className="muted">Nothing needs your attention.</p>
        ) : (
          <ul className="alerts">
            {alerts.map((a, i) => (
              <li key={i} className={`alert ${a.tone}`}>
                {a.text}
              </li>
            ))}
          </ul>
        )}
      </Card>
      <Card title="This machine" testId="home-machine">
        <ErrorNote error={info.error} />
        {info.data ? (
          <KeyValues
            rows={[
              ['Airlock', info.data.version],
              ['Platform', info.data.platform],
              ['Engine runtime', `Node ${info.data.node}`],
              ['Installation', <code key="i">{info.data.installationId}</code>],
              ['Data directory', <code key="d">{info.data.dataDir}</code>],
            ]}
          />
        ) : null}
        {available('hardware:info') ? (
          hardware.data ? (
            <HardwareSummary data={hardware.data} />
          ) : (
            <ErrorNote error={hardware.error} />
          )
        ) : (
          <Unavailable what="Hardware and provider detection" />
        )}
      </Card>
      <Card
        title="Trust store"
        testId="home-trust"
        actions={
          <button type="button" className="ghost" onClick={() => go('settings')}>
            Manage keys
          </button>
        }
      >
        <ErrorNote error={keys.error} />
        {keys.data ? (
          <>
            <p className="big">
              {keys.data.length} trusted key{keys.data.length === 1 ? '' : 's'}
            </p>
            <ul className="plain">
              {keys.data.map((k) => (
                <li key={k.keyId}>
                  <Badge tone="info">{k.role}</Badge> {k.name}{' '}
                  <code className="muted">{k.keyId.slice(0, 16)}</code>
                </li>
              ))}
            </ul>
          </>
        ) : null}
        {models.data ? (
          <p className="muted">
            {models.data.length} model{models.data.length === 1 ? '' : 's'} installed,{' '}
            {models.data.filter((m) => m.enabled).length} enabled.
          </p>
        ) : null}
      </Card>
      <Card
        title="Recent events"
        wide
        testId="home-events"
        actions={
          <button type="button" className="ghost" onClick={() => go('audit')}>
            Open audit log
          </button>
        }
      >
        <ErrorNote error={events.error} />
        {events.data && events.data.length === 0 ? <p className="muted">No events yet.</p> : null}
        {events.data && events.data.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th>When</th>
                <th>Who</th>
                <th>What</th>
                <th>On</th>
                <th>Outcome</th>
              </tr>
            </thead>
            <tbody>
              {events.data.map((e) => (
                <tr key={e.seq}>
                  <td>{when(e.ts)}</td>
                  <td>{e.actor}</td>
                  <td>{e.action}</td>
                  <td className="ellipsis">{e.target}</td>
                  <td>
                    <Badge tone={e.outcome === 'success' ? 'ok' : e.outcome === 'refused' ? 'bad' : 'warn'}>
                      {e.outcome}
                    </Badge>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </Card>
    </div>
  );
}

function HardwareSummary({ data }: { data: Record<string, unknown> }) {
  const rows = Object.entries(data)
    .filter(([, v]) => v !== null && ['string', 'number', 'boolean'].includes(typeof v))
    .slice(0, 8)
    .map(([k, v]) => [k, String(v)] as const);
  return <KeyValues rows={rows} />;
}
