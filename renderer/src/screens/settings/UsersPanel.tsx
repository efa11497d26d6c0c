import { useState } from 'react';
import { ROLES, type ErrorInfo, type Result, type Role } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Badge, Card, ErrorNote, Form, TextField, useResult } from '../../components/ui.js';
import { useApp } from '../../store.js';

function RoleOptions() {
  return ROLES.map((r) => (
    <option key={r} value={r}>
      {r}
    </option>
  ));
}

/** The accounts that may sign in, their roles, and adding or removing one. */
export function UsersPanel() {
  const users = useResult(() => invoke('users:list', {}), []);
  const me = useApp((st) => st.auth);
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const done = (r: Result<unknown>) => {
    setError(r.ok ? null : r.error);
    users.reload();
    return r.ok;
  };
  const add = async () => {
    if (done(await invoke('users:add', { name: name.trim(), role, password }))) {
      setName('');
      setPassword('');
    }
  };
  return (
    <Card title="Users and roles" testId="settings-users">
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
                        void invoke('users:set-role', { name: u.name, role: e.target.value as Role }).then(
                          done,
                        )
                      }
                    >
                      <RoleOptions />
                    </select>
                  </td>
                  <td className="small">
                    {u.lockedUntil ? (
                      <Badge tone="bad">locked</Badge>
                    ) : u.hasPassword ? (
                      'password'
                    ) : (
                      'CLI only'
                    )}
                    {u.osUsers.length > 0 ? (
                      <span className="muted"> · OS: {u.osUsers.join(', ')}</span>
                    ) : null}
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
        <Form className="row" onSubmit={add}>
          <TextField label="New account" value={name} onChange={setName} testId="user-name" />
          <label>
            <span className="label">Role</span>
            <select value={role} onChange={(e) => setRole(e.target.value as Role)} data-testid="user-role">
              <RoleOptions />
            </select>
          </label>
          <TextField
            label="Password"
            type="password"
            value={password}
            onChange={setPassword}
            testId="user-password"
          />
          <button type="submit" disabled={!name.trim() || !password} data-testid="user-add">
            Add account
          </button>
        </Form>
        <p className="muted small">
          admin: keys, policy, imports and accounts · operator: run models, jobs, benchmarks · auditor: read,
          verify and export the audit log
        </p>
        <ErrorNote error={error} />
      </div>
    </Card>
  );
}
