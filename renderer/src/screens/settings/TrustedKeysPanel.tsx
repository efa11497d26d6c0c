import { useState } from 'react';
import type { ErrorInfo, InstalledModel, TrustKey } from '../../../../runtime/contract/index.js';
import { invoke } from '../../api.js';
import { Badge, Card, Form, NeedsRole, TextField, useResult } from '../../components/ui.js';
import { useAllowed } from '../../store.js';
import { when } from '../../format.js';
import { AppError } from './AppError.js';
import { ConfirmDialog } from './ConfirmDialog.js';
import { grouped, keyIdOfPem, MAX_KEY_FILE } from './fingerprint.js';

type KeyRole = 'publisher' | 'admin';

interface Pending {
  name: string;
  role: KeyRole;
  pem: string;
  keyId: string;
}

/** Enabled models whose only counted signer is this key: removing the key leaves them unsigned. */
export function signedOnlyBy(models: readonly InstalledModel[], key: string): InstalledModel[] {
  return models.filter((m) => m.enabled && m.signers.length > 0 && m.signers.every((s) => s === key));
}

const plural = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

/**
 * The publisher and admin keys this installation trusts: the list, removing one (saying which
 * models it leaves unsigned and offering to disable them), adding one (after the admin confirms
 * the full key id against the publisher's copy). While a signed policy is in force the store cannot
 * change (the engine refuses, TRUST_STORE_LOCKED): the panel says so and offers no add or remove.
 */
export function TrustedKeysPanel() {
  const mayAdd = useAllowed('trust:add');
  const mayRemove = useAllowed('trust:remove');
  const keys = useResult(() => invoke('trust:list', {}), []);
  const policy = useResult(() => invoke('policy:show', {}), []);
  const models = useResult(() => invoke('models:list', { includeDisabled: true }), []);
  const inForce = policy.data?.current ?? null;
  const locked = inForce !== null || !policy.data;
  const [name, setName] = useState('');
  const [role, setRole] = useState<KeyRole>('publisher');
  const [pem, setPem] = useState('');
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [pending, setPending] = useState<Pending | null>(null);
  const [matches, setMatches] = useState(false);
  const [removing, setRemoving] = useState<TrustKey | null>(null);
  const [disableToo, setDisableToo] = useState(true);
  const [busy, setBusy] = useState(false);

  const readFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_KEY_FILE) {
      setError({
        code: 'USAGE',
        message: `${file.name} is larger than 64 KiB: it is not a public key file.`,
      });
      return;
    }
    const text = await file.text();
    setPem(text);
    if (!name.trim()) setName(file.name.replace(/\.(pub|pem)$/i, '').replace(/[^A-Za-z0-9._-]/g, '-'));
    setError(null);
  };

  const check = async () => {
    setNotice(null);
    const keyId = await keyIdOfPem(pem);
    if (!keyId) {
      setError({
        code: 'USAGE',
        message:
          'This is not a PEM public key: paste the text from -----BEGIN PUBLIC KEY----- to -----END PUBLIC KEY-----, or pick the .pub file.',
      });
      return;
    }
    setError(null);
    setMatches(false);
    setPending({ name: name.trim(), role, pem: pem.trim(), keyId });
  };

  const add = async (p: Pending) => {
    setBusy(true);
    const r = await invoke('trust:add', { name: p.name, role: p.role, publicKeyPem: p.pem });
    setBusy(false);
    setPending(null);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    if (r.value.keyId !== p.keyId) {
      // The engine read another key than the one confirmed: take it out again and say so.
      await invoke('trust:remove', { name: p.name });
      setError({
        code: 'INTERNAL',
        message: `The engine computed key id ${r.value.keyId}, not the ${p.keyId} you confirmed; the key was not kept.`,
      });
    } else {
      setError(null);
      setNotice(`Trusted "${p.name}" (key id ${p.keyId}).`);
      setName('');
      setPem('');
    }
    keys.reload();
  };

  const affected = removing ? signedOnlyBy(models.data ?? [], removing.name) : [];
  const remove = async (key: TrustKey) => {
    setBusy(true);
    const r = await invoke('trust:remove', { name: key.name });
    let failed: ErrorInfo | null = r.ok ? null : r.error;
    let disabled = 0;
    if (r.ok && disableToo) {
      for (const m of affected) {
        const d = await invoke('models:disable', {
          ref: `${m.name}@${m.version}`,
          reason: `Its only signing key "${key.name}" was removed from the trust store.`,
        });
        if (d.ok) disabled += 1;
        else failed ??= d.error;
      }
    }
    setBusy(false);
    setRemoving(null);
    setError(failed);
    if (r.ok)
      setNotice(`Removed key "${key.name}"${disabled ? `; disabled ${plural(disabled, 'model')}` : ''}.`);
    keys.reload();
    models.reload();
  };

  return (
    <Card title="Trusted keys" wide testId="settings-keys">
      <AppError error={keys.error ?? policy.error} />
      {inForce ? (
        <p data-testid="keys-locked">
          <Badge tone="info">locked</Badge> Signed policy version {inForce.version} is in force: the keys that
          count are the ones it names, by key id (see Trust policy), and they change only through a new policy
          signed by {inForce.resolved.adminThreshold} admin key(s). Keys cannot be added or removed here.
        </p>
      ) : null}
      {keys.data && keys.data.length === 0 ? <p className="muted">No key is trusted yet.</p> : null}
      {keys.data && keys.data.length > 0 ? (
        <table className="table" data-testid="trust-keys">
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
              <tr key={k.keyId} data-key={k.name}>
                <td>
                  <strong>{k.name}</strong>
                </td>
                <td>
                  <Badge tone="info">{k.role}</Badge>
                </td>
                <td>
                  <code title={k.keyId}>{k.keyId.slice(0, 32)}…</code>
                </td>
                <td>
                  {when(k.addedAt)} by {k.addedBy}
                </td>
                <td className="actions">
                  {locked || !mayRemove ? null : (
                    <button
                      type="button"
                      className="danger"
                      data-testid={`key-remove-${k.name}`}
                      onClick={() => {
                        setDisableToo(true);
                        setRemoving(k);
                      }}
                    >
                      Remove
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {notice ? (
        <p className="note ok" data-testid="keys-notice">
          {notice}
        </p>
      ) : null}
      {!locked && !mayAdd ? (
        <p className="muted small" data-testid="key-add-needs-role">
          Adding and removing keys: <NeedsRole channel="trust:add" />
        </p>
      ) : null}
      {locked || !mayAdd ? null : (
        <Form className="stack" onSubmit={check}>
          <h3>Add a key</h3>
          <div className="row">
            <TextField label="Name" value={name} onChange={setName} testId="key-name" />
            <label>
              <span className="label">Role</span>
              <select
                value={role}
                onChange={(e) => setRole(e.target.value as KeyRole)}
                data-testid="key-role"
              >
                <option value="publisher">publisher (signs model bundles)</option>
                <option value="admin">admin (signs policy and revocations)</option>
              </select>
            </label>
            <label>
              <span className="label">Or read a .pub / .pem file</span>
              <input
                type="file"
                accept=".pub,.pem,text/plain"
                data-testid="key-file"
                onChange={(e) => void readFile(e.target.files?.[0])}
              />
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
              Check fingerprint…
            </button>
          </div>
          <AppError error={error} />
        </Form>
      )}
      {pending ? (
        <ConfirmDialog
          title={`Trust the ${pending.role} key "${pending.name}"?`}
          confirmLabel={`Trust key "${pending.name}"`}
          confirmDisabled={!matches}
          busy={busy}
          onCancel={() => setPending(null)}
          onConfirm={() => void add(pending)}
          testId="key-confirm"
        >
          <p>
            Compare this key id, every group, with the one the publisher gave you out of band (on paper, by
            phone, in their signed letter). If a single character differs, do not trust the key.
          </p>
          <p className="fingerprint" data-testid="key-fingerprint" aria-label={`Key id ${pending.keyId}`}>
            {grouped(pending.keyId)}
          </p>
          <p className="muted small">
            SHA-256 of the public key (SubjectPublicKeyInfo), as Airlock shows key ids.
          </p>
          <label className="check-row">
            <input
              type="checkbox"
              checked={matches}
              onChange={(e) => setMatches(e.target.checked)}
              data-testid="key-fingerprint-matches"
            />
            <span>The key id matches the publisher’s copy exactly.</span>
          </label>
        </ConfirmDialog>
      ) : null}
      {removing ? (
        <ConfirmDialog
          title={`Remove the key "${removing.name}"?`}
          destructive
          busy={busy}
          confirmLabel={
            affected.length > 0 && disableToo
              ? `Remove key and disable ${plural(affected.length, 'model')}`
              : 'Remove key'
          }
          onCancel={() => setRemoving(null)}
          onConfirm={() => void remove(removing)}
          testId="key-remove-confirm"
        >
          <p>
            Bundles signed by <code title={removing.keyId}>{removing.keyId.slice(0, 16)}…</code> will no
            longer be accepted for import.
          </p>
          {affected.length > 0 ? (
            <>
              <p>
                {affected.length === 1 ? 'This installed model is' : 'These installed models are'} signed only
                by this key:
              </p>
              <ul data-testid="key-remove-affected">
                {affected.map((m) => (
                  <li key={`${m.name}@${m.version}`}>
                    <strong>
                      {m.name}@{m.version}
                    </strong>
                  </li>
                ))}
              </ul>
              <label className="check-row">
                <input
                  type="checkbox"
                  checked={disableToo}
                  onChange={(e) => setDisableToo(e.target.checked)}
                  data-testid="key-remove-disable"
                />
                <span>
                  Disable {affected.length === 1 ? 'it' : 'them'} too, so nobody runs an unsigned model
                </span>
              </label>
            </>
          ) : (
            <p className="muted" data-testid="key-remove-none">
              No installed model depends on this key alone.
            </p>
          )}
        </ConfirmDialog>
      ) : null}
    </Card>
  );
}
