import type { BundleFile, BundleSignature, ModelCard } from '../../../runtime/contract/index.js';
import { bytes, shortHash, when } from '../format.js';
import { HashText } from '../screens/models/HashText.js';
import { Badge, KeyValues } from './ui.js';

/** A symbolic dimension shows as its name when short and plain ("batch"), else as "?". */
export function shapeText(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === 'number' ? d : /^[A-Za-z_][A-Za-z0-9_]{0,15}$/.test(d) ? d : '?')).join(', ')}]`;
}

export function CardView({ card }: { card: ModelCard }) {
  return (
    <div className="stack">
      <p className="lead">{card.description || 'No description given.'}</p>
      <KeyValues
        rows={[
          ['Model', `${card.name} ${card.version}`],
          ['Publisher', card.publisher],
          ['Task', card.task],
          ['License', card.license],
          ['Created', when(card.created)],
          ['Expires', card.expires ? when(card.expires) : 'never'],
        ]}
      />
      <table className="table compact">
        <thead>
          <tr>
            <th>Tensor</th>
            <th>Name</th>
            <th>Type</th>
            <th>Shape</th>
          </tr>
        </thead>
        <tbody>
          {[
            ...card.inputs.map((t) => ['input', t] as const),
            ...card.outputs.map((t) => ['output', t] as const),
          ].map(([kind, t]) => (
            <tr key={`${kind}-${t.name}`}>
              <td>{kind}</td>
              <td>
                <code>{t.name}</code>
              </td>
              <td>{t.type}</td>
              <td title={t.shape.join(', ')}>{shapeText(t.shape)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function FilesView({ files }: { files: readonly BundleFile[] }) {
  const total = files.reduce((n, f) => n + f.size, 0);
  return (
    <table className="table compact" data-testid="bundle-files">
      <thead>
        <tr>
          <th>File</th>
          <th className="num">Size</th>
          <th>SHA-256</th>
        </tr>
      </thead>
      <tbody>
        {files.map((f) => (
          <tr key={f.path}>
            <td>
              <code>{f.path}</code>
            </td>
            <td className="num">{bytes(f.size)}</td>
            <td>
              <HashText value={f.sha256} />
            </td>
          </tr>
        ))}
        <tr className="total">
          <td>{files.length} files</td>
          <td className="num">{bytes(total)}</td>
          <td />
        </tr>
      </tbody>
    </table>
  );
}

export function SignaturesView({ signatures }: { signatures: readonly BundleSignature[] }) {
  if (signatures.length === 0) return <p className="note error">This bundle carries no signature.</p>;
  return (
    <ul className="plain" data-testid="bundle-signers">
      {signatures.map((s) => (
        <li key={s.keyId}>
          {s.valid === true ? (
            <Badge tone="ok">valid</Badge>
          ) : s.valid === false ? (
            <Badge tone="bad">invalid</Badge>
          ) : (
            <Badge tone="warn">unknown key</Badge>
          )}{' '}
          {s.trustedAs ? (
            <strong>{s.trustedAs}</strong>
          ) : (
            <span className="muted">not in the trust store</span>
          )}{' '}
          <code className="muted" title={s.keyId}>
            {shortHash(s.keyId, 16)}
          </code>
        </li>
      ))}
    </ul>
  );
}
