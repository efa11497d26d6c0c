import { useState } from 'react';
import {
  ROLES,
  type Account,
  type ErrorInfo,
  type Result,
  type Role,
} from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Badge, Card, Form, TextField, useResult } from '../../components/ui.js';
import { useApp } from '../../store.js';
import { AppError } from './AppError.js';
import { ConfirmDialog } from './ConfirmDialog.js';

function RoleOptions() {
  return ROLES.map((r) => (
    <option key={r} value={r}>
      {r}
    </option>
  ));
}

type Action =
  | { kind: 'remove'; account: Account }
  | { kind: 'role'; account: Account; role: Role }
  | { kind: 'password'; account: Account };

/** The accounts that may sign in, their roles; adding, removing, changing a role, resetting a password. */
export function UsersPanel() {
  const users = useResult(() => invoke('users:list', {}), []);
  const me = useApp((st) => st.auth);
  const myName = typeof me === 'object' && me !== null ? me.name : null;
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('operator');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [action, setAction] = useState<Action | null>(null);
  const [newPassword, setNewPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const done = (r: Result<unknown>, ok?: string) => {
    setError(r.ok ? null : r.error);
    setNotice(r.ok && ok ? ok : null);
    users.reload();
    return r.ok;
  };
  const add = async () => {
    if (done(await invoke('users:add', { name: name.trim(), role, password }), `Added "${name.trim()}".`)) {
      setName('');
      setPassword('');
    }
  };
  const confirm = async (a: Action) => {
    setBusy(true);
    if (a.kind === 'remove')
      done(await invoke('users:remove', { name: a.account.name }), `Removed "${a.account.name}".`);
    else if (a.kind === 'role')
      done(
        await invoke('users:set-role', { name: a.account.name, role: a.role }),
        `"${a.account.name}" is now ${a.role}.`,
      );
    else
      done(
        await invoke('users:set-password', { name: a.account.name, password: newPassword }),
        `New password set for "${a.account.name}"${a.account.lockedUntil ? '; the account is unlocked' : ''}.`,
      );
    setBusy(false);
    setAction(null);
    setNewPassword('');
  };
  return (
    <Card title="Users and roles" wide testId="settings-users">
      <div className="stack">
        <AppError error={users.error} />
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
                <tr key={u.name} data-user={u.name}>
                  <td>
                    <strong>{u.name}</strong>
                    {myName === u.name ? <span className="muted"> (you)</span> : null}
                  </td>
                  <td>
                    <select
                      value={u.role}
                      aria-label={`Role of ${u.name}`}
                      data-testid={`user-role-${u.name}`}
                      onChange={(e) => setAction({ kind: 'role', account: u, role: e.target.value as Role })}
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
                    {myName === u.name ? null : (
                      <button
                        type="button"
                        data-testid={`user-password-${u.name}`}
                        onClick={() => setAction({ kind: 'password', account: u })}
                      >
                        {u.lockedUntil ? 'Unlock…' : 'Reset password…'}
                      </button>
                    )}
                    <button
                      type="button"
                      className="danger"
                      data-testid={`user-remove-${u.name}`}
                      onClick={() => setAction({ kind: 'remove', account: u })}
                    >
                      Remove
                    </button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {notice ? (
          <p className="note ok" data-testid="users-notice">
            {notice}
          </p>
        ) : null}
        <AppError error={error} />
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
            autoComplete="new-password"
          />
          <button type="submit" disabled={!name.trim() || !password} data-testid="user-add">
            Add account
          </button>
        </Form>
        <p className="muted small">
          admin: keys, policy, imports and accounts · operator: run models, jobs, benchmarks · auditor: read,
          verify and export the audit log
        </p>
      </div>
      {action?.kind === 'remove' ? (
        <ConfirmDialog
          title={`Remove the account "${action.account.name}"?`}
          destructive
          busy={busy}
          confirmLabel={`Remove account "${action.account.name}"`}
          onCancel={() => setAction(null)}
          onConfirm={() => void confirm(action)}
          testId="user-remove-confirm"
        >
          <p>
            {action.account.name} ({action.account.role}) can no longer sign in, and their open sessions end.
            Their audit records stay.
            {myName === action.account.name ? ' This is your own account: you will be signed out.' : ''}
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === 'role' ? (
        <ConfirmDialog
          title={`Change the role of "${action.account.name}"?`}
          busy={busy}
          confirmLabel={`Make ${action.account.name} ${action.role}`}
          onCancel={() => setAction(null)}
          onConfirm={() => void confirm(action)}
          testId="user-role-confirm"
        >
          <p>
            From <strong>{action.account.role}</strong> to <strong>{action.role}</strong>. Their open sessions
            end; they sign in again with the new role.
          </p>
        </ConfirmDialog>
      ) : null}
      {action?.kind === 'password' ? (
        <ConfirmDialog
          title={`${action.account.lockedUntil ? 'Unlock' : 'Reset the password of'} "${action.account.name}"`}
          busy={busy}
          confirmDisabled={!newPassword}
          confirmLabel={action.account.lockedUntil ? 'Set password and unlock' : 'Set new password'}
          onCancel={() => {
            setAction(null);
            setNewPassword('');
          }}
          onConfirm={() => void confirm(action)}
          testId="user-password-confirm"
        >
          <p>
            The new password replaces the old one, clears a lockout and ends {action.account.name}’s open
            sessions. Give it to them in person.
          </p>
          <TextField
            label="New password"
            type="password"
            value={newPassword}
            onChange={setNewPassword}
            testId="user-new-password"
            autoComplete="new-password"
          />
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
