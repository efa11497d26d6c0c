import { useState } from 'react';
import { ROLES, type ErrorInfo, type Role } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { Badge, Card, ErrorNote, KeyValues, useResult } from '../components/ui.js';
import { when } from '../format.js';
import { useApp } from '../store.js';

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
      <Card title="Trust policy" testId="settings-policy">
        <PolicyView />
      </Card>
      <Card title="Revocations" testId="settings-revocations">
        <RevocationsView />
      </Card>
      <Card title="Users and roles" testId="settings-users">
        <UsersView />
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

/** Applies a signed file from a path (policy:apply, revocations:import), showing the engine's verdict. */
function ApplyFile(props: {
  label: string;
  button: string;
  testId: string;
  run(path: string): Promise<ErrorInfo | null>;
}) {
  const [path, setPath] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState(false);
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        void props.run(path.trim()).then((err) => {
          setError(err);
          setDone(err === null);
        });
      }}
    >
      <div className="row">
        <label className="grow">
          <span className="label">{props.label}</span>
          <input
            type="text"
            value={path}
            onChange={(e) => setPath(e.target.value)}
            data-testid={props.testId}
            spellCheck={false}
          />
        </label>
        <button type="submit" disabled={!path.trim()}>
          {props.button}
        </button>
      </div>
      <ErrorNote error={error} />
      {done ? <p className="note ok">Applied.</p> : null}
    </form>
  );
}

function PolicyView() {
  const policy = useResult(() => invoke('policy:show', {}), []);
  const current = policy.data?.current ?? null;
  return (
    <div className="stack">
      <ErrorNote error={policy.error} />
      {policy.data && !current ? (
        <p>
          <Badge tone="info">default</Badge> No signed policy applied: a bundle needs one valid signature from
          any trusted publisher key.
        </p>
      ) : null}
      {current ? (
        <>
          <KeyValues
            rows={[
              ['Version', `${current.version}, issued ${when(current.issued)}`],
              ['Applied', `${when(current.appliedAt)} by ${current.appliedBy}`],
              ['Signed by', current.signers.join(', ')],
              ['Default threshold', `${current.document.defaultThreshold} signature(s)`],
              ['Admin threshold', `${current.document.adminThreshold} signature(s)`],
            ]}
          />
          {current.document.rules.length > 0 ? (
            <table className="table compact">
              <thead>
                <tr>
                  <th>Models</th>
                  <th>Keys</th>
                  <th className="num">Signatures</th>
                </tr>
              </thead>
              <tbody>
                {current.document.rules.map((r) => (
                  <tr key={r.pattern}>
                    <td>
                      <code>{r.pattern}</code>
                    </td>
                    <td>{r.keys.join(', ')}</td>
                    <td className="num">{r.threshold}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : null}
        </>
      ) : null}
      <ApplyFile
        label="Signed policy file"
        button="Apply policy"
        testId="policy-path"
        run={async (path) => {
          const r = await invoke('policy:apply', { path });
          policy.reload();
          return r.ok ? null : r.error;
        }}
      />
    </div>
  );
}

function RevocationsView() {
  const list = useResult(() => invoke('revocations:list', {}), []);
  return (
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
        run={async (path) => {
          const r = await invoke('revocations:import', { path });
          list.reload();
          return r.ok ? null : r.error;
        }}
      />
    </div>
  );
}

function UsersView() {
  const users = useResult(() => invoke('users:list', {}), []);
  const me = useApp((st) => st.auth);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const done = (r: { ok: boolean; error?: ErrorInfo }) => {
    setError(r.ok ? null : (r.error ?? null));
    users.reload();
    return r.ok;
  };
  return (
    <div className="stack">
      <ErrorNote error={users.error} />
      {users.data ? (
        <table className="table compact" data-testid="users">
          <thead>
            <tr>
              <th>Account</th>
              <th>Role</th>
              <th>Sign-in</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {users.data.map((u) => (
              <tr key={u.name}>
                <td>
                  <strong>{u.name}</strong>
                  {typeof me === 'object' && me?.name === u.name ? (
                    <span className="muted"> (you)</span>
                  ) : null}
                </td>
                <td>
                  <select
                    value={u.role}
                    aria-label={`Role of ${u.name}`}
                    onChange={(e) =>
                      void invoke('users:set-role', { name: u.name, role: e.target.value as Role }).then(done)
                    }
                  >
                    {ROLES.map((r) => (
                      <option key={r} value={r}>
                        {r}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="small">
                  {u.lockedUntil ? <Badge tone="bad">locked</Badge> : u.hasPassword ? 'password' : 'CLI only'}
                  {u.osUsers.length > 0 ? <span className="muted"> · OS: {u.osUsers.join(', ')}</span> : null}
                </td>
                <td className="actions">
                  <button
                    type="button"
                    className="danger"
                    onClick={() => void invoke('users:remove', { name: u.name }).then(done)}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <form
        className="row"
        onSubmit={(e) => {
          e.preventDefault();
          void invoke('users:add', { name: name.trim(), role, password })
            .then(done)
            .then((ok) => {
              if (ok) {
                setName('');
                setPassword('');
              }
            });
        }}
      >
        <label>
          <span className="label">New account</span>
          <input
            type="text"
            value={name}
            onChange={(e) => setName(e.target.value)}
            data-testid="user-name"
            spellCheck={false}
          />
        </label>
        <label>
          <span className="label">Role</span>
          <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="user-role">
            {ROLES.map((r) => (
              <option key={r} value={r}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <label>
          <span className="label">Password</span>
          <input
            type="password"
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="user-password"
          />
        </label>
        <button type="submit" disabled={!name.trim() || !password} data-testid="user-add">
          Add account
        </button>
      </form>
      <p className="muted small">
        admin: keys, policy, imports and accounts · operator: run models, jobs, benchmarks · auditor: read,
        verify and export the audit log
      </p>
      <ErrorNote error={error} />
    </div>
  );
}
