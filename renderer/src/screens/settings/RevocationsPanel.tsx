import { invoke } from '../../api.js';
import { Badge, Card, ErrorNote, useResult } from '../../components/ui.js';
import { when } from '../../format.js';
import { ApplyFile } from './ApplyFile.js';

/** Revoked keys and bundles, and importing a signed revocation list. */
export function RevocationsPanel() {
  const list = useResult(() => invoke('revocations:list', {}), []);
  return (
    <Card title="Revocations" testId="settings-revocations">
      <div className="stack">
        <ErrorNote error={list.error} />
        {list.data && list.data.length === 0 ? <p className="muted">No key or bundle is revoked.</p> : null}
        {list.data && list.data.length > 0 ? (
          <table className="table compact">
            <thead>
              <tr>
                <th>Kind</th>
                <th>Key id or bundle SHA-256</th>
                <th>Reason</th>
                <th>Since</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((r) => (
                <tr key={`${r.kind}-${r.value}`}>
                  <td>
                    <Badge tone="bad">{r.kind}</Badge>
                  </td>
                  <td>
                    <code title={r.value}>{r.value.slice(0, 24)}…</code>
                  </td>
                  <td>{r.reason || '—'}</td>
                  <td>{when(r.importedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <ApplyFile
          label="Signed revocation list"
          button="Import list"
          testId="revocations-path"
          channel="revocations:import"
          apply={(path) => invoke('revocations:import', { path })}
          reload={list.reload}
        />
      </div>
    </Card>
  );
}
