import { useState } from 'react';
import type { ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Card, Form, TextField } from '../../components/ui.js';
import { useApp } from '../../store.js';
import { AppError } from './AppError.js';

/** Changing one's own password; the engine ends the session, so the app goes to sign-in with a message. */
export function PasswordPanel() {
  const setAuth = useApp((s) => s.setAuth);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const change = async () => {
    if (next !== again) {
      setError({ code: 'USAGE', message: 'The two new passwords differ. Type the same password twice.' });
      return;
    }
    const r = await invoke('auth:change-password', { currentPassword: current, newPassword: next });
    if (!r.ok) return setError(r.error);
    sessionStorage.setItem(
      'airlock.signin-notice',
      'Your password was changed and your session ended. Sign in with the new password.',
    );
    setAuth('signin');
  };
  return (
    <Card title="Your password" testId="settings-password">
      <Form className="stack" onSubmit={change}>
        <div className="row">
          <TextField
            label="Current password"
            type="password"
            value={current}
            onChange={setCurrent}
            autoComplete="current-password"
            testId="pw-current"
          />
        </div>
        <div className="row">
          <TextField
            label="New password"
            type="password"
            value={next}
            onChange={setNext}
            autoComplete="new-password"
            testId="pw-new"
          />
          <TextField
            label="New password again"
            type="password"
            value={again}
            onChange={setAgain}
            autoComplete="new-password"
            testId="pw-again"
          />
        </div>
        <p className="muted small">Changing it signs you out everywhere; sign in again with the new one.</p>
        <div>
          <button type="submit" className="primary" disabled={!current || !next} data-testid="pw-change">
            Change password
          </button>
        </div>
        <AppError error={error} />
      </Form>
    </Card>
  );
}
