import { invoke } from '../../api.js';
import { Badge, Card, ErrorNote, KeyValues, useResult } from '../../components/ui.js';
import { when } from '../../format.js';
import { ApplyFile } from './ApplyFile.js';

/** The facility's signed trust policy: what is in force, and applying a new one. */
export function PolicyPanel() {
  const policy = useResult(() => invoke('policy:show', {}), []);
  const current = policy.data?.current ?? null;
  return (
    <Card title="Trust policy" testId="settings-policy">
      <div className="stack">
        <ErrorNote error={policy.error} />
        {policy.data && !current ? (
          <p>
            <Badge tone="info">default</Badge> No signed policy applied: a bundle needs one valid signature
            from any trusted publisher key.
          </p>
        ) : null}
        {current ? (
          <>
            <KeyValues
              rows={[
                ['Version', `${current.version}, issued ${when(current.issued)}`],
                ['Applied', `${when(current.appliedAt)} by ${current.appliedBy}`],
                ['Signed by', current.signers.join(', ')],
                ['Default threshold', `${current.document.defaultThreshold} signature(s)`],
                ['Admin threshold', `${current.document.adminThreshold} signature(s)`],
              ]}
            />
            {current.document.rules.length > 0 ? (
              <table className="table compact">
                <thead>
                  <tr>
                    <th>Models</th>
                    <th>Keys</th>
                    <th className="num">Signatures</th>
                  </tr>
                </thead>
                <tbody>
                  {current.document.rules.map((r) => (
                    <tr key={r.pattern}>
                      <td>
                        <code>{r.pattern}</code>
                      </td>
                      <td>{r.keys.join(', ')}</td>
                      <td className="num">{r.threshold}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            ) : null}
          </>
        ) : null}
        <ApplyFile
          label="Signed policy file"
          button="Apply policy"
          testId="policy-path"
          apply={(path) => invoke('policy:apply', { path })}
          reload={policy.reload}
        />
      </div>
    </Card>
  );
}
