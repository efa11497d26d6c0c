import { useState } from 'react';
import type { ErrorInfo, InstalledModel, Result } from '../../../runtime/contract/index.js';
import { invoke } from '../api.js';
import { CardView, FilesView } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, Form, KeyValues, useResult } from '../components/ui.js';
import { bytes, when } from '../format.js';
import { useAllowed, useApp } from '../store.js';
import { configText } from './BenchmarkScreen.js';
import { HardwarePanel } from './models/HardwarePanel.js';
import { HashText } from './models/HashText.js';
import { filterAndSort, libraryRows, type SortKey } from './models/library.js';

function ref(m: InstalledModel): string {
  return `${m.name}@${m.version}`;
}

export function ModelsScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: true }), []);
  // Last used comes from the audit log: asked only where the role may read it (an operator is
  // not refused and recorded for opening this screen; it sees "last used unknown").
  const mayAudit = useAllowed('audit:list');
  const runs = useResult(
    () =>
      mayAudit
        ? invoke('audit:list', { action: 'inference.run', limit: 2000, order: 'desc' })
        : Promise.resolve({ ok: true as const, value: null }),
    [mayAudit],
  );
  const keys = useResult(() => invoke('trust:list', {}), []);
  const info = useResult(() => invoke('system:info', {}), []);
  const [chosen, setChosen] = useState<string | null>(null);
  const [query, setQuery] = useState('');
  const [sort, setSort] = useState<SortKey>('name');
  const all = libraryRows(models.data ?? [], runs.data, keys.data);
  const shown = filterAndSort(all, query, sort);
  const current = all.find((r) => r.ref === chosen)?.model ?? shown[0]?.model ?? null;
  const used = all.reduce((n, r) => n + r.size, 0);
  const free = info.data?.dataDirFreeBytes ?? null;

  return (
    <div className="split">
      <div className="stack">
        <Card title="Installed models" testId="models-list">
          <ErrorNote error={models.error} />
          <p className="muted small models-disk" data-testid="models-disk">
            {all.length} model{all.length === 1 ? '' : 's'}, {bytes(used)}
            {free !== null ? ` · ${bytes(free)} free on this disk` : ''}
          </p>
          <div className="models-tools">
            <label className="grow">
              <span className="label">Search</span>
              <input
                type="text"
                value={query}
                onChange={(e) => setQuery(e.target.value)}
                placeholder="name, task, signer"
                spellCheck={false}
                data-testid="models-search"
              />
            </label>
            <label>
              <span className="label">Sort by</span>
              <select
                value={sort}
                onChange={(e) => setSort(e.target.value as SortKey)}
                data-testid="models-sort"
              >
                <option value="name">Name</option>
                <option value="size">Size</option>
                <option value="lastUsed">Last used</option>
              </select>
            </label>
          </div>
          {models.data && all.length === 0 ? (
            <p className="muted">No model is installed yet. Import one from the Media screen.</p>
          ) : null}
          {all.length > 0 && shown.length === 0 ? <p className="muted">No model matches “{query}”.</p> : null}
          <ul className="listbox" role="listbox" aria-label="Installed models">
            {shown.map((r) => {
              const m = r.model;
              const selected = current !== null && ref(current) === r.ref;
              return (
                <li key={r.ref} data-testid="model-item">
                  <button
                    type="button"
                    role="option"
                    aria-selected={selected}
                    className={selected ? 'item selected' : 'item'}
                    onClick={() => setChosen(r.ref)}
                  >
                    <strong>{m.name}</strong> <span className="muted">{m.version}</span>
                    <span className="item-sub">
                      {m.card.task} ·{' '}
                      {!m.enabled ? (
                        <Badge tone="warn">disabled</Badge>
                      ) : r.trusted ? (
                        <Badge tone="ok">trusted</Badge>
                      ) : (
                        <Badge tone="warn">signer no longer trusted</Badge>
                      )}
                    </span>
                    <span className="item-meta">
                      {bytes(r.size)} · signed by {r.signers.map((x) => x.name).join(', ') || 'nobody'} · last
                      used {r.lastUsed ? when(r.lastUsed) : runs.error ? 'unknown' : 'never'}
                    </span>
                  </button>
                </li>
              );
            })}
          </ul>
        </Card>
        <HardwarePanel />
      </div>
      {current ? <ModelDetail model={current} onChanged={models.reload} /> : null}
    </div>
  );
}

function ModelDetail({ model, onChanged }: { model: InstalledModel; onChanged(): void }) {
  const { go, selectModel, auth } = useApp();
  const mayAudit = useAllowed('audit:list');
  const history = useResult(
    () =>
      mayAudit
        ? invoke('audit:list', { limit: 500, order: 'desc' })
        : Promise.resolve({ ok: true as const, value: [] }),
    [model.name, model.version, mayAudit],
  );
  const installs = (history.data ?? []).filter(
    (e) => e.target === ref(model) && (e.action.startsWith('model.') || e.action.startsWith('bundle.')),
  );
  const isAdmin = typeof auth === 'object' && auth !== null && auth.role === 'admin';
  return (
    <div className="stack grow">
      <Card
        title={`${model.name} ${model.version}`}
        testId="model-detail"
        actions={
          <button
            type="button"
            className="primary"
            disabled={!model.enabled}
            onClick={() => {
              selectModel(ref(model));
              go('run');
            }}
          >
            Run this model
          </button>
        }
      >
        <KeyValues
          rows={[
            ['Status', model.enabled ? 'enabled' : `disabled — ${model.disabledReason ?? 'by an admin'}`],
            ['Installed', `${when(model.installedAt)} by ${model.installedBy}`],
            ['Signed by', model.signers.join(', ')],
            ['Bundle SHA-256', <HashText key="s" value={model.bundleSha256} testId="model-sha256" />],
          ]}
        />
        {isAdmin ? (
          <ManageModel model={model} onChanged={onChanged} />
        ) : (
          <p className="muted">An admin can disable, enable or remove this model.</p>
        )}
      </Card>
      <Card title="Model card">
        <CardView card={model.card} />
      </Card>
      <Card title="Files">
        <FilesView files={model.files} />
      </Card>
      <Card title="Chosen configuration">
        <ChosenConfig model={model} />
      </Card>
      <Card title="Install history (from the audit log)">
        <ErrorNote error={history.error} />
        {installs.length === 0 ? <p className="muted">No record found.</p> : null}
        <ul className="plain">
          {installs.map((e) => (
            <li key={e.seq}>
              <Badge tone={e.outcome === 'success' ? 'ok' : 'bad'}>{e.outcome}</Badge> {e.action} by {e.actor}
              , {when(e.ts)} <span className="muted">#{e.seq}</span>
            </li>
          ))}
        </ul>
      </Card>
    </div>
  );
}

/** Disable (with a reason, audited), enable (re-checked against today's trust), remove (confirmed). */
function ManageModel({ model, onChanged }: { model: InstalledModel; onChanged(): void }) {
  const [mode, setMode] = useState<'idle' | 'disable' | 'remove'>('idle');
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ErrorInfo | null>(null);
  const [done, setDone] = useState<string | null>(null);

  const act = async (work: () => Promise<Result<unknown>>, message: string) => {
    setBusy(true);
    const r = await work();
    setBusy(false);
    if (!r.ok) {
      setError(r.error);
      return;
    }
    setError(null);
    setMode('idle');
    setReason('');
    setDone(message);
    onChanged();
  };

  return (
    <div className="stack" data-testid="model-manage">
      <div className="row">
        {model.enabled ? (
          <button type="button" disabled={busy} onClick={() => setMode('disable')}>
            Disable…
          </button>
        ) : (
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void act(() => invoke('models:enable', { ref: ref(model) }), `${ref(model)} is enabled again.`)
            }
          >
            Enable
          </button>
        )}
        <button type="button" className="danger" disabled={busy} onClick={() => setMode('remove')}>
          Remove…
        </button>
      </div>
      {mode === 'disable' ? (
        <Form
          className="row"
          onSubmit={() =>
            act(
              () => invoke('models:disable', { ref: ref(model), reason }),
              `${ref(model)} is disabled: it will not run until an admin enables it.`,
            )
          }
        >
          <label>
            Reason (recorded in the audit log){' '}
            <input
              value={reason}
              onChange={(e) => setReason(e.target.value)}
              required
              maxLength={500}
              autoFocus
              aria-label="Reason for disabling"
            />
          </label>
          <button type="submit" disabled={busy || reason.trim() === ''}>
            Disable {model.name} {model.version}
          </button>
          <button type="button" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </Form>
      ) : null}
      {mode === 'remove' ? (
        <div className="row" role="alertdialog" aria-label="Confirm removal">
          <span>
            Remove {model.name} {model.version}? Its files leave this machine; versions below {model.version}{' '}
            stay refused as rollbacks. The removal is audited.
          </span>
          <button
            type="button"
            className="danger"
            disabled={busy}
            onClick={() =>
              void act(() => invoke('models:remove', { ref: ref(model) }), `${ref(model)} was removed.`)
            }
          >
            Remove for good
          </button>
          <button type="button" onClick={() => setMode('idle')}>
            Cancel
          </button>
        </div>
      ) : null}
      {done ? (
        <p className="muted" role="status">
          {done}
        </p>
      ) : null}
      <ErrorNote error={error} />
    </div>
  );
}

function ChosenConfig({ model }: { model: InstalledModel }) {
  const may = useAllowed('bench:tuned');
  if (!may) return null;
  return <TunedConfig model={model} />;
}

function TunedConfig({ model }: { model: InstalledModel }) {
  const tuned = useResult(() => invoke('bench:tuned', { model: ref(model) }), [ref(model)]);
  if (tuned.error) return <ErrorNote error={tuned.error} />;
  if (!tuned.data) return null;
  if (tuned.data.length === 0)
    return (
      <p className="muted">
        Not benchmarked on this machine yet: runs use onnxruntime defaults. Run a benchmark to choose the
        fastest configuration.
      </p>
    );
  return (
    <ul className="plain">
      {tuned.data.map((t) => (
        <li key={t.objective}>
          <strong>{t.objective}</strong>: {configText(t.config)} — {t.metric.toFixed(2)} {t.unit}
          {t.stale ? <Badge tone="warn">stale: hardware changed</Badge> : null}{' '}
          <span className="muted">chosen {when(t.chosenAt)}</span>
        </li>
      ))}
    </ul>
  );
}
