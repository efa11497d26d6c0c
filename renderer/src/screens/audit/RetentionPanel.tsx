import { useEffect, useState } from 'react';
import type { AuditSettings, ErrorInfo } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Card, ErrorNote, Form, KeyValues, TextField } from '../../components/ui.js';
import { useApp } from '../../store.js';

/** Audit retention and checkpoint settings: read by auditors and admins, changed by admins. */
export function RetentionPanel() {
  const auth = useApp((s) => s.auth);
  const admin = typeof auth === 'object' && auth !== null && auth.role === 'admin';
  const [settings, setSettings] = useState<AuditSettings | null>(null);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [every, setEvery] = useState('');
  const [days, setDays] = useState('');
  const [saved, setSaved] = useState(false);
  const show = (s: AuditSettings) => {
    setSettings(s);
    setEvery(String(s.checkpointEvery));
    setDays(s.retentionDays === null ? '' : String(s.retentionDays));
  };
  useEffect(() => {
    void invoke('audit:settings', {}).then((r) => (r.ok ? show(r.value) : setError(r.error)));
  }, []);
  const save = async () => {
    const r = await invoke('audit:configure', {
      checkpointEvery: Number(every),
      retentionDays: days.trim() === '' ? null : Number(days),
    });
    setSaved(r.ok);
    setError(r.ok ? null : r.error);
    if (r.ok) show(r.value);
  };
  return (
    <Card title="Audit retention" testId="audit-retention">
      {settings ? (
        <KeyValues
          rows={[
            ['Signed checkpoint', `every ${settings.checkpointEvery.toLocaleString('en-US')} records`],
            [
              'Retention',
              settings.retentionDays === null
                ? 'keep every record in the database'
                : `records older than ${settings.retentionDays} days move to a sealed archive when archiving`,
            ],
          ]}
        />
      ) : null}
      {admin && settings ? (
        <Form className="row" onSubmit={save}>
          <TextField
            label="Checkpoint every (records)"
            value={every}
            onChange={setEvery}
            testId="retention-every"
          />
          <TextField
            label="Retention (days, empty = keep all)"
            value={days}
            onChange={setDays}
            testId="retention-days"
          />
          <button type="submit" data-testid="retention-save">
            Save
          </button>
        </Form>
      ) : settings ? (
        <p className="muted small">Only an administrator can change these settings.</p>
      ) : null}
      {saved ? <p className="note ok">Saved.</p> : null}
      <ErrorNote error={error} />
    </Card>
  );
}
