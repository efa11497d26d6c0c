import { invoke } from '../../api.js';
import { Card, ErrorNote, KeyValues, useResult } from '../../components/ui.js';

/** Where this installation keeps its data, and its id. */
export function DataDirPanel() {
  const info = useResult(() => invoke('system:info', {}), []);
  return (
    <Card title="Data directory" testId="settings-data">
      <ErrorNote error={info.error} />
      {info.data ? (
        <KeyValues
          rows={[
            ['Location', <code key="d">{info.data.dataDir}</code>],
            ['Installation id', <code key="i">{info.data.installationId}</code>],
          ]}
        />
      ) : null}
      <p className="muted small">To use another directory, start Airlock with AIRLOCK_HOME set to it.</p>
    </Card>
  );
}
