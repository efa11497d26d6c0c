import { useState } from 'react';
import type { ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Badge, Card, ErrorNote, Form, TextField, useResult } from '../../components/ui.js';
import { when } from '../../format.js';

type KeyRole = 'publisher' | 'admin';

/**
 * The publisher and admin keys this installation trusts: the list, removing one, adding one. While
 * a signed policy is in force the store cannot change (the engine refuses, TRUST_STORE_LOCKED):
 * the panel says so and offers no add or remove.
 */
export function TrustedKeysPanel() {
  const keys = useResult(() => invoke('trust:list', {}), []);
  const policy = useResult(() => invoke('policy:show', {}), []);
  const inForce = policy.data?.current ?? null;
  const locked = inForce !== null || !policy.data;
  const [name, setName] = useState('');
  const [role, setRole] = useState<KeyRole>('publisher');
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
    <Card title="Trusted keys" wide testId="settings-keys">
      <ErrorNote error={keys.error ?? policy.error} />
      {inForce ? (
        <p data-testid="keys-locked">
          <Badge tone="info">locked</Badge> Signed policy version {inForce.version} is in force: the keys that
          count are the ones it names, by key id (see Trust policy), and they change only through a new policy
          signed by {inForce.resolved.adminThreshold} admin key(s). Keys cannot be added or removed here.
        </p>
      ) : null}
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
                  {locked ? null : (
                    <button type="button" className="danger" onClick={() => void remove(k.name)}>
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {locked ? null : (
        <Form className="stack" onSubmit={add}>
          <h3>Add a key</h3>
          <div className="row">
            <TextField label="Name" value={name} onChange={setName} testId="key-name" />
            <label>
              <span className="label">Role</span>
              <select value={role} onChange={(e) => setRole(e.target.value as KeyRole)}>
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
        </Form>
      )}
    </Card>
  );
}
