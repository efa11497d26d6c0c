import type { ReactNode } from 'react';
import { invoke } from '../../api.js';
import { Badge, Card, ErrorNote, KeyValues, useResult } from '../../components/ui.js';
import { when } from '../../format.js';
import { ApplyFile } from './ApplyFile.js';

const short = (keyId: string) => `${keyId.slice(0, 12)}…`;

/** A key as the policy binds it: by key id, with its name for people. */
function KeyRef({ name, keyId }: { name: string | null; keyId: string }) {
  return (
    <span title={keyId}>
      {name ? <strong>{name}</strong> : null} <code>{short(keyId)}</code>
    </span>
  );
}

function joined(items: readonly ReactNode[]): ReactNode {
  return items.flatMap((item, i) => (i === 0 ? [item] : [', ', item]));
}

/** The facility's signed trust policy: what is in force (every key by key id), and applying a new one. */
export function PolicyPanel() {
  const policy = useResult(() => invoke('policy:show', {}), []);
  const current = policy.data?.current ?? null;
  const resolved = current?.resolved ?? null;
  const nameOf = (keyId: string) => resolved?.publishers.find((k) => k.keyId === keyId)?.name ?? null;
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
        {current && resolved ? (
          <>
            <KeyValues
              rows={[
                ['Version', `${current.version}, issued ${when(current.issued)}`],
                ['Applied', `${when(current.appliedAt)} by ${current.appliedBy}`],
                ['Signed by', current.signers.join(', ')],
                ['Default threshold', `${resolved.defaultThreshold} signature(s)`],
                ['Admin threshold', `${resolved.adminThreshold} signature(s)`],
                [
                  'Admin keys',
                  joined(resolved.admins.map((k) => <KeyRef key={k.keyId} name={k.name} keyId={k.keyId} />)),
                ],
                [
                  'Publisher keys',
                  resolved.publishers.length > 0
                    ? joined(
                        resolved.publishers.map((k) => (
                          <KeyRef key={k.keyId} name={k.name} keyId={k.keyId} />
                        )),
                      )
                    : 'none',
                ],
              ]}
            />
            {resolved.rules.length > 0 ? (
              <table className="table compact">
                <thead>
                  <tr>
                    <th>Models</th>
                    <th>Keys</th>
                    <th className="num">Signatures</th>
                  </tr>
                </thead>
                <tbody>
                  {resolved.rules.map((r) => (
                    <tr key={r.pattern}>
                      <td>
                        <code>{r.pattern}</code>
                      </td>
                      <td data-testid="policy-rule-keys">
                        {r.keyIds === '*'
                          ? 'any publisher key above'
                          : r.keyIds.length === 0
                            ? 'none'
                            : joined(r.keyIds.map((id) => <KeyRef key={id} name={nameOf(id)} keyId={id} />))}
                      </td>
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
          channel="policy:apply"
          apply={(path) => invoke('policy:apply', { path })}
          reload={policy.reload}
        />
      </div>
    </Card>
  );
}
