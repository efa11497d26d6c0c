import { useState } from 'react';
import type { ErrorInfo } from '../../../runtime/contract/index.js';
import { available, invoke, invokeDynamic } from '../api.js';
import { Badge, Card, ErrorNote, KeyValues, Unavailable, useResult } from '../components/ui.js';
import { when } from '../format.js';

export function SettingsScreen() {
  const keys = useResult(() => invoke('trust:list', {}), []);
  const info = useResult(() => invoke('system:info', {}), []);
  const [name, setName] = useState('');
  const [role, setRole] = useState<'publisher' | 'admin'>('publisher');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);

  const add = async () => {
    const r = await invoke('trust:add', { name: name.trim(), role, publicKeyPem: pem.trim() });
    setError(r.ok ? null : r.error);
    if (r.ok) {
      setName('');
      setPem('');
      keys.reload();
    }
  };
  const remove = async (key: string) => {
    const r = await invoke('trust:remove', { name: key });
    setError(r.ok ? null : r.error);
    keys.reload();
  };

  return (
    <div className="grid">
      <Card title="Trusted keys" wide testId="settings-keys">
        <ErrorNote error={keys.error} />
        {keys.data && keys.data.length === 0 ? <p className="muted">No key is trusted yet.</p> : null}
        {keys.data && keys.data.length > 0 ? (
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Role</th>
                <th>Key id (SHA-256 of the public key)</th>
                <th>Added</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.map((k) => (
                <tr key={k.keyId}>
                  <td>
                    <strong>{k.name}</strong>
                  </td>
                  <td>
                    <Badge tone="info">{k.role}</Badge>
                  </td>
                  <td>
                    <code>{k.keyId.slice(0, 32)}…</code>
                  </td>
                  <td>
                    {when(k.addedAt)} by {k.addedBy}
                  </td>
                  <td className="actions">
                    <button type="button" className="danger" onClick={() => void remove(k.name)}>
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        <form
          className="stack"
          onSubmit={(e) => {
            e.preventDefault();
            void add();
          }}
        >
          <h3>Add a key</h3>
          <div className="row">
            <label>
              <span className="label">Name</span>
              <input
                type="text"
                value={name}
                onChange={(e) => setName(e.target.value)}
                data-testid="key-name"
                spellCheck={false}
              />
            </label>
            <label>
              <span className="label">Role</span>
              <select value={role} onChange={(e) => setRole(e.target.value as 'publisher' | 'admin')}>
                <option value="publisher">publisher (signs model bundles)</option>
                <option value="admin">admin (signs policy and revocations)</option>
              </select>
            </label>
          </div>
          <label>
            <span className="label">Public key (PEM)</span>
            <textarea
              rows={4}
              value={pem}
              onChange={(e) => setPem(e.target.value)}
              placeholder="-----BEGIN PUBLIC KEY-----"
              data-testid="key-pem"
              spellCheck={false}
            />
          </label>
          <div>
            <button
              type="submit"
              className="primary"
              disabled={!name.trim() || !pem.trim()}
              data-testid="key-add"
            >
              Trust this key
            </button>
          </div>
          <ErrorNote error={error} />
        </form>
      </Card>
      <Card title="Trust policy and revocations" testId="settings-policy">
        {available('trust:policy') || available('revocations:list') ? (
          <PolicyView />
        ) : (
          <Unavailable what="Editing the trust policy and revocations" />
        )}
      </Card>
      <Card title="Users and roles" testId="settings-users">
        {available('users:list') ? <UsersView /> : <Unavailable what="User accounts and roles" />}
      </Card>
      <Card title="Data directory" testId="settings-data">
        <ErrorNote error={info.error} />
        {info.data ? (
          <KeyValues
            rows={[
              ['Location', <code key="d">{info.data.dataDir}</code>],
              ['Installation id', <code key="i">{info.data.installationId}</code>],
            ]}
          />
        ) : null}
        <p className="muted small">To use another directory, start Airlock with AIRLOCK_HOME set to it.</p>
      </Card>
    </div>
  );
}

function PolicyView() {
  const policy = useResult(
    () => invokeDynamic<unknown>(available('trust:policy') ? 'trust:policy' : 'revocations:list', {}),
    [],
  );
  return (
    <>
      <ErrorNote error={policy.error} />
      {policy.data ? <pre className="pre">{JSON.stringify(policy.data, null, 2)}</pre> : null}
    </>
  );
}

function UsersView() {
  const users = useResult(() => invokeDynamic<{ name: string; role: string }[]>('users:list', {}), []);
  return (
    <>
      <ErrorNote error={users.error} />
      <ul className="plain">
        {(users.data ?? []).map((u) => (
          <li key={u.name}>
            <strong>{u.name}</strong> <Badge tone="info">{u.role}</Badge>
          </li>
        ))}
      </ul>
    </>
  );
}
