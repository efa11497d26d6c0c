import { useState } from 'react';
import { invoke } from '../api.js';
import { LockIcon } from '../components/NetworkBadge.js';
import { Badge, Card, ErrorNote, KeyValues, OutcomeBadge, useResult } from '../components/ui.js';
import { bytes, plural, when } from '../format.js';
import { mayCall, useApp } from '../store.js';
import { ProviderVerdict, providerWords } from './models/HardwarePanel.js';
import type {
  ErrorInfo,
  HardwareProfile,
  InstalledModel,
  TrustKey,
} from '../../../runtime/contract/index.js';

interface Alert {
  tone: 'bad' | 'warn';
  text: string;
}

/** What the machine itself says needs doing (not audit records: those are alerts:list's). */
export function alertsFor(
  keys: readonly TrustKey[] | null,
  models: readonly InstalledModel[] | null,
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
  return alerts.slice(0, 6);
}

const NO_CALL = () => Promise.resolve({ ok: true as const, value: null });

export function HomeScreen() {
  const go = useApp((s) => s.go);
  const info = useResult(() => invoke('system:info', {}), []);
  const net = useResult(() => invoke('system:network', {}), []);
  const keys = useResult(() => invoke('trust:list', {}), []);
  const models = useResult(() => invoke('models:list', { includeDisabled: true }), []);
  const allowed = useApp((s) => s.allowed);
  const mayAudit = mayCall(allowed, 'audit:list');
  const mayAlerts = mayCall(allowed, 'alerts:list');
  const mayProbe = mayCall(allowed, 'hardware:probe');
  const events = useResult(
    () => (mayAudit ? invoke('audit:list', { limit: 8, order: 'desc' }) : NO_CALL()),
    [mayAudit],
  );
  // A task that ends (a failed import, a refused export) may be an alert: ask again then.
  const finishedTasks = useApp((s) => s.tasks.filter((t) => t.state !== 'running').length);
  const engineAlerts = useResult(
    () => (mayAlerts ? invoke('alerts:list', { limit: 50 }) : NO_CALL()),
    [mayAlerts, finishedTasks],
  );
  const [acking, setAcking] = useState(false);
  const [ackError, setAckError] = useState<ErrorInfo | null>(null);
  const ack = async (seqs: number[]) => {
    if (seqs.length === 0) return;
    setAcking(true);
    const r = await invoke('alerts:ack', { seqs });
    setAcking(false);
    setAckError(r.ok ? null : r.error);
    engineAlerts.reload();
  };
  const hardware = useResult(() => invoke('hardware:get', {}), []);
  const [probing, setProbing] = useState(false);
  const probe = async () => {
    setProbing(true);
    await invoke('hardware:probe', {});
    setProbing(false);
    hardware.reload();
  };
  const alerts = [
    ...(hardware.data?.warnings ?? []).map((text) => ({ tone: 'warn' as const, text })),
    ...alertsFor(keys.data, models.data),
  ];
  const recorded = engineAlerts.data?.alerts ?? [];

  return (
    <div className="grid">
      <Card title="Network" testId="home-network">
        <ErrorNote error={net.error} />
        {net.data ? (
          <>
            <p
              className={
                net.data.locked ? 'big ok' : net.data.transport === 'loopback' ? 'big info' : 'big bad'
              }
            >
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
      <Card
        title="Alerts"
        testId="home-alerts"
        actions={
          recorded.length > 1 ? (
            <button
              type="button"
              className="ghost"
              disabled={acking}
              onClick={() => void ack(recorded.map((a) => a.seq))}
              data-testid="alerts-ack-all"
            >
              Acknowledge all
            </button>
          ) : null
        }
      >
        <ErrorNote error={keys.error ?? models.error ?? engineAlerts.error ?? ackError} />
        {alerts.length === 0 && recorded.length === 0 ? (
          <p className="muted">Nothing needs your attention.</p>
        ) : (
          <ul className="alerts">
            {alerts.map((a, i) => (
              <li key={i} className={`alert ${a.tone}`}>
                {a.text}
              </li>
            ))}
            {recorded.map((a) => (
              <li
                key={a.seq}
                className={`alert ${a.outcome === 'refused' ? 'bad' : 'warn'}`}
                data-testid="alert"
                data-seq={a.seq}
              >
                <span className="alert-text">
                  {a.message}
                  <span className="muted small">
                    {when(a.ts)} · record {a.seq}
                  </span>
                </span>
                <button
                  type="button"
                  className="ghost small-button"
                  disabled={acking}
                  onClick={() => void ack([a.seq])}
                  data-testid="alert-ack"
                >
                  Acknowledge
                </button>
              </li>
            ))}
          </ul>
        )}
        {engineAlerts.data && engineAlerts.data.total > recorded.length ? (
          <p className="muted small">
            Showing {recorded.length} of {plural(engineAlerts.data.total, 'alert')}.
          </p>
        ) : null}
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
        <ErrorNote error={hardware.error} />
        {hardware.data ? <HardwareSummary profile={hardware.data} /> : null}
        {!hardware.loading && mayProbe ? (
          <p className="muted">
            {hardware.data ? null : 'This machine has not been probed yet. '}
            <button
              type="button"
              onClick={() => void probe()}
              disabled={probing}
              data-testid="hardware-probe"
            >
              {probing ? 'Probing…' : hardware.data ? 'Re-probe' : 'Probe hardware and providers'}
            </button>
          </p>
        ) : null}
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
            <p className="big">{plural(keys.data.length, 'trusted key')}</p>
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
            {plural(models.data.length, 'model')} installed, {models.data.filter((m) => m.enabled).length}{' '}
            enabled.
          </p>
        ) : null}
      </Card>
      {mayAudit ? (
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
                      <OutcomeBadge outcome={e.outcome} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </Card>
      ) : null}
    </div>
  );
}

function HardwareSummary({ profile }: { profile: HardwareProfile }) {
  return (
    <div className="stack" data-testid="hardware">
      <KeyValues
        rows={[
          ['CPU', `${profile.cpu.brand} (${profile.cpu.physicalCores} cores, ${profile.cpu.cores} threads)`],
          ['Features', profile.cpu.features.length > 0 ? profile.cpu.features.join(' ') : 'none reported'],
          ['Memory', bytes(profile.memory.totalBytes)],
          [
            'GPUs',
            profile.gpus.length === 0 ? 'none' : profile.gpus.map((g) => `${g.vendor} ${g.model}`).join(', '),
          ],
          ['onnxruntime', profile.onnxruntime.version],
          ['Probed', when(profile.probedAt)],
        ]}
      />
      <table className="table compact" data-testid="providers">
        <thead>
          <tr>
            <th>Execution provider</th>
            <th>Works here</th>
            <th>Why not</th>
          </tr>
        </thead>
        <tbody>
          {profile.providers.map((p) => (
            <tr key={p.name}>
              <td>
                <code>{p.name}</code>
              </td>
              <td>
                <ProviderVerdict provider={p} />
              </td>
              <td className="muted small">
                {p.reason ? (
                  <details className="problem-details">
                    <summary>{providerWords(p.reason)}</summary>
                    <span className="problem-raw">{p.reason}</span>
                  </details>
                ) : p.loadMs !== null ? (
                  `opened in ${p.loadMs.toFixed(0)} ms`
                ) : (
                  ''
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
