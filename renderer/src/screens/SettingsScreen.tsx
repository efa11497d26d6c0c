import { useState } from 'react';
import { useAllowed, useApp } from '../store.js';
import { RetentionPanel } from './audit/RetentionPanel.js';
import { DataDirPanel } from './settings/DataDirPanel.js';
import { PasswordPanel } from './settings/PasswordPanel.js';
import { PolicyPanel } from './settings/PolicyPanel.js';
import { RevocationsPanel } from './settings/RevocationsPanel.js';
import { TrustedKeysPanel } from './settings/TrustedKeysPanel.js';
import { UsersPanel } from './settings/UsersPanel.js';
import './settings/settings.css';

const SECTIONS = [
  { id: 'keys', label: 'Keys' },
  { id: 'policy', label: 'Policy and revocations' },
  { id: 'users', label: 'Users' },
  { id: 'retention', label: 'Audit retention' },
  { id: 'data', label: 'Data directory' },
] as const;
type Section = (typeof SECTIONS)[number]['id'];

/** Settings in sections (keys, policy and revocations, users, audit retention, data), one shown at a time. */
export function SettingsScreen() {
  const [section, setSection] = useState<Section>('keys');
  const auth = useApp((s) => s.auth);
  const admin = typeof auth === 'object' && auth !== null && auth.role === 'admin';
  // Audit retention is read by admins and auditors only: others are not offered the section.
  const mayRetention = useAllowed('audit:settings');
  const sections = SECTIONS.filter((s) => s.id !== 'retention' || mayRetention);
  return (
    <div className="settings-layout">
      <nav className="settings-nav" aria-label="Settings sections" data-testid="settings-nav">
        {sections.map((s) => (
          <a
            key={s.id}
            href={`#settings/${s.id}`}
            aria-current={section === s.id ? 'true' : undefined}
            data-testid={`settings-nav-${s.id}`}
            onClick={(e) => {
              e.preventDefault();
              setSection(s.id);
            }}
          >
            {s.label}
          </a>
        ))}
      </nav>
      <section
        className="settings-section stack"
        aria-label={SECTIONS.find((s) => s.id === section)?.label}
        data-testid={`settings-section-${section}`}
      >
        {section === 'keys' ? <TrustedKeysPanel /> : null}
        {section === 'policy' ? (
          <>
            <PolicyPanel />
            <RevocationsPanel />
          </>
        ) : null}
        {section === 'users' ? (
          <>
            {admin ? <UsersPanel /> : null}
            <PasswordPanel />
          </>
        ) : null}
        {section === 'retention' && mayRetention ? <RetentionPanel /> : null}
        {section === 'data' ? <DataDirPanel /> : null}
      </section>
    </div>
  );
}
