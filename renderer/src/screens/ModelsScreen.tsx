import { useState } from 'react';
import type { InstalledModel } from '../../../runtime/contract/index.js';
import { available, invoke, invokeDynamic } from '../api.js';
import { CardView, FilesView } from '../components/BundleDetails.js';
import { Badge, Card, ErrorNote, KeyValues, Unavailable, useResult } from '../components/ui.js';
import { shortHash, when } from '../format.js';
import { useApp } from '../store.js';

function ref(m: InstalledModel): string {
  return `${m.name}@${m.version}`;
}

export function ModelsScreen() {
  const models = useResult(() => invoke('models:list', { includeDisabled: true }), []);
  const [chosen, setChosen] = useState<string | null>(null);
  const list = models.data ?? [];
  const current = list.find((m) => ref(m) === chosen) ?? list[0] ?? null;

  return (
    <div className="split">
      <Card title="Installed models" testId="models-list">
        <ErrorNote error={models.error} />
        {models.data && list.length === 0 ? (
          <p className="muted">No model is installed yet. Import one from the Media screen.</p>
        ) : null}
        <ul className="listbox" role="listbox" aria-label="Installed models">
          {list.map((m) => (
            <li key={ref(m)}>
              <button
                type="button"
                role="option"
                aria-selected={current !== null && ref(current) === ref(m)}
                className={current !== null && ref(current) === ref(m) ? 'item selected' : 'item'}
                onClick={() => setChosen(ref(m))}
              >
                <strong>{m.name}</strong> <span className="muted">{m.version}</span>
                <span className="item-sub">
                  {m.card.task} ·{' '}
                  {m.enabled ? <Badge tone="ok">enabled</Badge> : <Badge tone="warn">disabled</Badge>}
                </span>
              </button>
            </li>
          ))}
        </ul>
      </Card>
      {current ? <ModelDetail model={current} onChanged={models.reload} /> : null}
    </div>
  );
}

function ModelDetail({ model, onChanged }: { model: InstalledModel; onChanged(): void }) {
  const { go, selectModel } = useApp();
  const history = useResult(
    () => invoke('audit:list', { limit: 500, order: 'desc' }),
    [model.name, model.version],
  );
  const installs = (history.data ?? []).filter(
    (e) => e.target === ref(model) && (e.action.startsWith('model.') || e.action.startsWith('bundle.')),
  );
  const [actionError, setActionError] = useState<{ code: 'USAGE'; message: string } | null>(null);

  const act = async (channel: string, request: unknown) => {
    const r = await invokeDynamic<unknown>(channel, request);
    if (!r.ok) setActionError({ code: 'USAGE', message: r.error.message });
    else {
      setActionError(null);
      onChanged();
    }
  };
  const manage = ['models:enable', 'models:disable', 'models:remove'].filter(available);

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
            ['Status', model.enabled ? 'enabled' : `disabled: ${model.disabledReason ?? 'by an admin'}`],
            ['Installed', `${when(model.installedAt)} by ${model.installedBy}`],
            ['Signed by', model.signers.join(', ')],
            [
              'Bundle SHA-256',
              <code key="s" title={model.bundleSha256}>
                {shortHash(model.bundleSha256, 24)}
              </code>,
            ],
          ]}
        />
        <div className="row">
          {manage.length === 0 ? <Unavailable what="Enabling, disabling and removing models" /> : null}
          {manage.includes('models:enable') && !model.enabled ? (
            <button type="button" onClick={() => void act('models:enable', { ref: ref(model) })}>
              Enable
            </button>
          ) : null}
          {manage.includes('models:disable') && model.enabled ? (
            <button
              type="button"
              onClick={() => void act('models:disable', { ref: ref(model), reason: 'disabled in the app' })}
            >
              Disable
            </button>
          ) : null}
          {manage.includes('models:remove') ? (
            <button
              type="button"
              className="danger"
              onClick={() => void act('models:remove', { ref: ref(model) })}
            >
              Remove
            </button>
          ) : null}
        </div>
        <ErrorNote error={actionError} />
      </Card>
      <Card title="Model card">
        <CardView card={model.card} />
      </Card>
      <Card title="Files">
        <FilesView files={model.files} />
      </Card>
      <Card title="Chosen configuration">
        {available('bench:config') ? (
          <ChosenConfig refName={ref(model)} />
        ) : (
          <Unavailable what="Benchmark-chosen configuration" />
        )}
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

function ChosenConfig({ refName }: { refName: string }) {
  const cfg = useResult(
    () => invokeDynamic<Record<string, unknown>>('bench:config', { model: refName }),
    [refName],
  );
  if (cfg.error) return <ErrorNote error={cfg.error} />;
  if (!cfg.data) return null;
  return <pre className="pre">{JSON.stringify(cfg.data, null, 2)}</pre>;
}
