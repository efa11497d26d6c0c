import { DataDirPanel } from './settings/DataDirPanel.js';
import { PolicyPanel } from './settings/PolicyPanel.js';
import { RevocationsPanel } from './settings/RevocationsPanel.js';
import { TrustedKeysPanel } from './settings/TrustedKeysPanel.js';
import { UsersPanel } from './settings/UsersPanel.js';

/** Settings: one panel per job (keys, policy, revocations, accounts, where the data lives). */
export function SettingsScreen() {
  return (
    <div className="grid">
      <TrustedKeysPanel />
      <PolicyPanel />
      <RevocationsPanel />
      <UsersPanel />
      <DataDirPanel />
    </div>
  );
}
