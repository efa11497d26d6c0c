import { useState } from 'react';
import type { ErrorInfo } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { ErrorNote } from '../components/ui.js';
import { useApp } from '../store.js';

/** First start (create the admin) or sign-in: the only screen before a session exists. */
export function AuthScreen({ mode, minLength }: { mode: 'setup' | 'signin'; minLength: number }) {
  const setAuth = useApp((s) => s.setAuth);
  const [name, setName] = useState(mode === 'setup' ? 'admin' : '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [busy, setBusy] = useState(false);

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
      <form
        className="auth-card stack"
        onSubmit={(e) => {
          e.preventDefault();
          void submit();
        }}
      >
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
          <h1>Sign in</h1>
        )}
        <label>
          <span className="label">Account name</span>
          <input
            type="text"
            value={name}
            autoComplete="username"
            onChange={(e) => setName(e.target.value)}
            data-testid="auth-name"
            spellCheck={false}
            autoFocus
          />
        </label>
        <label>
          <span className="label">
            Password{mode === 'setup' ? ` (at least ${minLength} characters)` : ''}
          </span>
          <input
            type="password"
            value={password}
            autoComplete={mode === 'setup' ? 'new-password' : 'current-password'}
            onChange={(e) => setPassword(e.target.value)}
            data-testid="auth-password"
          />
        </label>
        {mode === 'setup' ? (
          <label>
            <span className="label">Password again</span>
            <input
              type="password"
              value={confirm}
              autoComplete="new-password"
              onChange={(e) => setConfirm(e.target.value)}
              data-testid="auth-confirm"
            />
          </label>
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
      </form>
    </div>
  );
}
