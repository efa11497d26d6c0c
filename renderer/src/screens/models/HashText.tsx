import { useState } from 'react';
import '../media/media.css';

/** A long hash or id: monospace, cut with an ellipsis, the full value in the title and a Copy button. */
export function HashText({ value, testId }: { value: string; testId?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <span className="row-inline" data-testid={testId}>
      <code className="mono-cut" title={value} style={{ maxWidth: '22ch' }}>
        {value}
      </code>
      <button
        type="button"
        className="ghost copy-button"
        aria-label="Copy the full value"
        onClick={() => {
          void navigator.clipboard?.writeText(value).then(
            () => setCopied(true),
            () => setCopied(false),
          );
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
    </span>
  );
}
