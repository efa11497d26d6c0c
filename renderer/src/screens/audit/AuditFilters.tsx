import { useState } from 'react';
import { Form, TextField } from '../../components/ui.js';
import { NO_FILTERS, type Filters } from './use-audit-rows.js';

/** The log's filter form: a draft until Filter is pressed; Clear resets all fields. */
export function AuditFilters({ onChange }: { onChange(filters: Filters): void }) {
  const [draft, setDraft] = useState<Filters>(NO_FILTERS);
  const set = (patch: Partial<Filters>) => setDraft({ ...draft, ...patch });
  return (
    <Form className="row audit-filters" onSubmit={() => onChange(draft)}>
      <TextField
        label="Who"
        value={draft.actor}
        placeholder="account name"
        onChange={(actor) => set({ actor })}
        testId="audit-filter-actor"
      />
      <TextField
        label="Action"
        value={draft.action}
        placeholder="e.g. model.install"
        onChange={(action) => set({ action })}
        testId="audit-filter-action"
      />
      <TextField
        label="Target"
        value={draft.target}
        placeholder="exact target"
        onChange={(target) => set({ target })}
        testId="audit-filter-target"
      />
      <label>
        <span className="label">Outcome</span>
        <select
          data-testid="audit-filter-outcome"
          value={draft.outcome}
          onChange={(e) => set({ outcome: e.target.value as Filters['outcome'] })}
        >
          <option value="">any</option>
          <option value="success">success</option>
          <option value="refused">refused</option>
          <option value="failure">failure</option>
        </select>
      </label>
      <label>
        <span className="label">From (UTC day)</span>
        <input
          type="date"
          data-testid="audit-filter-from"
          value={draft.from}
          max={draft.to || undefined}
          onChange={(e) => set({ from: e.target.value })}
        />
      </label>
      <label>
        <span className="label">To (UTC day)</span>
        <input
          type="date"
          data-testid="audit-filter-to"
          value={draft.to}
          min={draft.from || undefined}
          onChange={(e) => set({ to: e.target.value })}
        />
      </label>
      <button type="submit" data-testid="audit-filter-apply">
        Filter
      </button>
      <button
        type="button"
        className="ghost"
        data-testid="audit-filter-clear"
        onClick={() => {
          setDraft(NO_FILTERS);
          onChange(NO_FILTERS);
        }}
      >
        Clear
      </button>
    </Form>
  );
}
