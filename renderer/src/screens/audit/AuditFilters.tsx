import { useState } from 'react';
import { Form, TextField } from '../../components/ui.js';
import type { Filters } from './use-audit-rows.js';

const NONE: Filters = { action: '', outcome: '' };

/** The log's filter form: a draft until Filter is pressed; Clear resets both. */
export function AuditFilters({ onChange }: { onChange(filters: Filters): void }) {
  const [draft, setDraft] = useState<Filters>(NONE);
  return (
    <Form className="row" onSubmit={() => onChange(draft)}>
      <TextField
        label="Action"
        value={draft.action}
        placeholder="e.g. model.install"
        onChange={(action) => setDraft({ ...draft, action })}
        testId="audit-filter-action"
      />
      <label>
        <span className="label">Outcome</span>
        <select
          value={draft.outcome}
          onChange={(e) => setDraft({ ...draft, outcome: e.target.value as Filters['outcome'] })}
        >
          <option value="">any</option>
          <option value="success">success</option>
          <option value="refused">refused</option>
          <option value="failure">failure</option>
        </select>
      </label>
      <button type="submit">Filter</button>
      <button
        type="button"
        className="ghost"
        onClick={() => {
          setDraft(NONE);
          onChange(NONE);
        }}
      >
        Clear
      </button>
    </Form>
  );
}
