import { useState } from 'react';
import type { ErrorInfo, HardwareProfile } from '../../../../runtime/contract/index.js';
import { invoke, operationId } from '../../api.js';
import { Badge, Card, KeyValues, ProgressBar, useResult } from '../../components/ui.js';
import { bytes, when } from '../../format.js';
import { useApp } from '../../store.js';
import { ProblemNote } from '../media/problem.js';

/** A provider's failure in words: its first clause, without the library's paths and advice. */
export function providerWords(reason: string): string {
  if (/not (found|bundle|install)|cannot open shared object|no such file/i.test(reason))
    return 'Its library is not installed on this machine';
  if (/driver/i.test(reason)) return 'The GPU driver is missing or too old';
  const first = (reason.split(/[:\n]|(?<=\.)\s/)[0] ?? reason).trim();
  return first.length > 60 ? `${first.slice(0, 60)}…` : first;
}

/** This machine's hardware and execution providers, with Re-probe (hardware:probe). */
export function HardwarePanel() {
  const hardware = useResult(() => invoke('hardware:get', {}), []);
  const [probeId, setProbeId] = useState<string | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const event = useApp((st) => (probeId ? st.progress[probeId] : undefined));
  const probe = async () => {
    const id = operationId('probe');
    setProbeId(id);
    setError(null);
    const r = await invoke('hardware:probe', { operationId: id });
    setProbeId(null);
    if (!r.ok) setError(r.error);
    hardware.reload();
  };
  return (
    <Card
      title="Hardware"
      testId="hardware-panel"
      actions={
        <button
          type="button"
          onClick={() => void probe()}
          disabled={probeId !== null}
          data-testid="hardware-reprobe"
        >
          {probeId ? 'Probing…' : hardware.data ? 'Re-probe' : 'Probe'}
        </button>
      }
    >
      {probeId ? <ProgressBar event={event} label="Probe progress" /> : null}
      <ProblemNote error={error ?? hardware.error} />
      {!hardware.loading && !hardware.data && !hardware.error ? (
        <p className="muted">This machine has not been probed yet.</p>
      ) : null}
      {hardware.data ? <Profile profile={hardware.data} /> : null}
    </Card>
  );
}

function Profile({ profile }: { profile: HardwareProfile }) {
  return (
    <div className="stack" data-testid="hardware-profile">
      <KeyValues
        rows={[
          ['CPU', `${profile.cpu.brand} (${profile.cpu.physicalCores} cores, ${profile.cpu.cores} threads)`],
          ['Memory', bytes(profile.memory.totalBytes)],
          [
            'GPUs',
            profile.gpus.length === 0 ? 'none' : profile.gpus.map((g) => `${g.vendor} ${g.model}`).join(', '),
          ],
          ['onnxruntime', profile.onnxruntime.version],
          [
            'Probed',
            <span key="p" data-testid="hardware-probed-at">
              {when(profile.probedAt)}
            </span>,
          ],
        ]}
      />
      {profile.warnings.map((w) => (
        <p key={w} className="note muted">
          {w}
        </p>
      ))}
      <table className="table compact hw-providers" data-testid="hardware-providers">
        <thead>
          <tr>
            <th>Provider</th>
            <th>Works here</th>
          </tr>
        </thead>
        <tbody>
          {profile.providers.map((p) => (
            <tr key={p.name}>
              <td>
                <code>{p.name}</code>
              </td>
              <td>
                <ProviderVerdict provider={p} />{' '}
                {p.reason ? (
                  <details className="problem-details" data-testid="provider-reason">
                    <summary>{providerWords(p.reason)}</summary>
                    <span className="problem-raw">{p.reason}</span>
                  </details>
                ) : p.loadMs !== null ? (
                  <span className="muted small">opened in {p.loadMs.toFixed(0)} ms</span>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** Whether a provider works here, as a badge (the Hardware card and Home show the same words). */
export function ProviderVerdict({ provider: p }: { provider: { works: boolean; fellBackToCpu?: boolean } }) {
  return (
    <Badge tone={p.works ? (p.fellBackToCpu ? 'warn' : 'ok') : 'bad'}>
      {p.works ? (p.fellBackToCpu ? 'falls back to CPU' : 'yes') : 'no'}
    </Badge>
  );
}
