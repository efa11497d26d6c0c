import { useState } from 'react';
import type { ErrorInfo } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { ErrorNote, Form, TextField } from '../components/ui.js';
import { useApp } from '../store.js';

/** First start (create the admin) or sign-in: the only screen before a session exists. */
export function AuthScreen({ mode, minLength }: { mode: 'setup' | 'signin'; minLength: number }) {
  const setAuth = useApp((s) => s.setAuth);
  const [name, setName] = useState(mode === 'setup' ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);
  // A one-time notice left by the screen that ended the session (e.g. a password change).
  const [notice] = useState(() => {
    const n = sessionStorage.getItem('airlock.signin-notice');
    sessionStorage.removeItem('airlock.signin-notice');
    return n;
  });

  const submit = async () => {
    if (mode === 'setup' && password !== confirm) {
      setError({ code: 'USAGE', message: 'The two passwords differ. Type the same password twice.' });
      return;
    }
    setBusy(true);
    const r = await invoke(mode === 'setup' ? 'auth:setup' : 'auth:login', { name: name.trim(), password });
    setBusy(false);
    if (r.ok) {
      setPassword('');
      setConfirm('');
      setAuth({ name: r.value.account.name, role: r.value.account.role });
    } else setError(r.error);
  };

  return (
    <div className="auth" data-testid={mode === 'setup' ? 'setup' : 'signin'}>
      <Form className="auth-card stack" onSubmit={submit}>
        <div className="brand auth-brand">
          <span className="brand-mark" aria-hidden="true">
            ◈
          </span>
          <span>Airlock</span>
        </div>
        {mode === 'setup' ? (
          <>
            <h1>Welcome</h1>
            <p className="muted">
              This is the first start on this machine. Create the administrator account: it manages trusted
              keys, imports models and adds the other accounts.
            </p>
          </>
        ) : (
          <>
            <h1>Sign in</h1>
            {notice ? (
              <p className="note ok" data-testid="signin-notice">
                {notice}
              </p>
            ) : null}
          </>
        )}
        <TextField
          label="Account name"
          value={name}
          autoComplete="username"
          onChange={setName}
          testId="auth-name"
          autoFocus
        />
        <TextField
          label={`Password${mode === 'setup' ? ` (at least ${minLength} characters)` : ''}`}
          type="password"
          value={password}
          autoComplete={mode === 'setup' ? 'new-password' : 'current-password'}
          onChange={setPassword}
          testId="auth-password"
        />
        {mode === 'setup' ? (
          <TextField
            label="Password again"
            type="password"
            value={confirm}
            autoComplete="new-password"
            onChange={setConfirm}
            testId="auth-confirm"
          />
        ) : null}
        <ErrorNote error={error} />
        <button
          type="submit"
          className="primary"
          disabled={busy || !name.trim() || !password}
          data-testid="auth-submit"
        >
          {mode === 'setup' ? 'Create the administrator' : 'Sign in'}
        </button>
      </Form>
    </div>
  );
}
