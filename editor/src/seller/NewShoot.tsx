import { useEffect, useMemo, useState } from 'react';
import type { Me, TemplateListing } from '@studioflow/runtime/graph';
import { HttpError } from '../shared/session';
import { listTemplates, submitShoot } from './api';
import { defaultsOf, OptionsForm, titleOption, type OptionValues } from './OptionsForm';
import { PhotoPicker } from './PhotoPicker';

/** A fresh idempotency key (getRandomValues works outside secure contexts, randomUUID does not). */
function newKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

export const credits = (n: number) => `${n} credit${n === 1 ? '' : 's'}`;

/** Pick a look, add a photo, set the options, see the price against the balance, start the shoot. */
export function NewShoot({ me, onStarted }: { me: Me; onStarted: (shootId: string) => void }) {
  const [templates, setTemplates] = useState<TemplateListing[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<TemplateListing | null>(null);
  const [photo, setPhoto] = useState<File | null>(null);
  const [values, setValues] = useState<OptionValues>({});
  const [sending, setSending] = useState(false);
  const [sendError, setSendError] = useState<string | null>(null);
  // One key per prepared shoot: a retried submit (lost answer) never charges twice.
  const [idempotencyKey, setIdempotencyKey] = useState(() => newKey());

  useEffect(() => {
    listTemplates().then(
      (list) => {
        setTemplates(list);
        if (list.length === 1) choose(list[0]);
      },
      (err: Error) => setLoadError(err.message),
    );
  }, []);

  const choose = (t: TemplateListing) => {
    if (t.id === chosen?.id) return; // choosing it again keeps the options set
    setChosen(t);
    setValues(defaultsOf(t.options ?? []));
    setSendError(null);
    setIdempotencyKey(newKey());
  };

  const options = chosen?.options ?? [];
  const title = titleOption(options);
  const otherOptions = useMemo(() => options.filter((o) => o !== title), [options, title]);
  const balance = me.tenant.creditBalance;
  const price = chosen?.priceCredits ?? 0;
  const short = chosen !== null && price > balance;
  const blocked = !chosen ? 'Choose a look first' : !photo ? 'Add a photo of your product' : short ? `You need ${credits(price)}; your balance is ${credits(balance)}` : null;

  const submit = async () => {
    if (!chosen || !photo || blocked) return;
    setSending(true);
    setSendError(null);
    try {
      const started = await submitShoot(chosen.id, photo, values, idempotencyKey);
      setIdempotencyKey(newKey());
      onStarted(started.id);
    } catch (err) {
      setSendError(err instanceof HttpError ? friendlySubmitError(err) : 'The shoot could not be sent. Check your connection and try again.');
    } finally {
      setSending(false);
    }
  };

  return (
    <div className="sf-page sf-new">
      <section aria-labelledby="step-look" className="sf-section">
        <h2 id="step-look" className="sf-step">
          <span className="sf-step-n">1</span> Choose a look
        </h2>
        {loadError && <p className="sf-alert" role="alert">The looks could not be loaded: {loadError}</p>}
        {!templates && !loadError && <p className="sf-muted">Loading looks…</p>}
        {templates?.length === 0 && <p className="sf-muted">No looks are published for your shop yet.</p>}
        <div className="sf-templates" role="group" aria-label="Looks">
          {templates?.map((t) => (
            <button
              key={t.id}
              type="button"
              aria-pressed={chosen?.id === t.id}
              className={`sf-template${chosen?.id === t.id ? ' is-chosen' : ''}`}
              onClick={() => choose(t)}
              data-testid={`template-${t.slug}`}
            >
              <TemplatePreview template={t} />
              <span className="sf-template-body">
                <span className="sf-template-head">
                  <span className="sf-template-name">{t.name}</span>
                  <span className="sf-price">{credits(t.priceCredits)}</span>
                </span>
                <span className="sf-template-desc">{t.description}</span>
              </span>
            </button>
          ))}
        </div>
      </section>

      <section aria-labelledby="step-photo" className="sf-section">
        <h2 id="step-photo" className="sf-step">
          <span className="sf-step-n">2</span> Add your photo
        </h2>
        <PhotoPicker photo={photo} onPhoto={setPhoto} />
      </section>

      {chosen && (
        <section aria-labelledby="step-options" className="sf-section">
          <h2 id="step-options" className="sf-step">
            <span className="sf-step-n">3</span> Fine-tune
          </h2>
          {title && (
            <div className="sf-field">
              <label htmlFor="product-title">Product title</label>
              <input
                id="product-title"
                type="text"
                placeholder="e.g. Hand-thrown stoneware mug"
                maxLength={title.schema.maxLength as number | undefined}
                value={typeof values[title.key] === 'string' ? (values[title.key] as string) : ''}
                onChange={(e) => setValues({ ...values, [title.key]: e.target.value })}
              />
            </div>
          )}
          <OptionsForm options={otherOptions} values={values} onChange={setValues} />
        </section>
      )}

      <div className="sf-checkout" aria-live="polite">
        <dl className="sf-checkout-sums">
          <div>
            <dt>Price</dt>
            <dd data-testid="price">{chosen ? credits(price) : '—'}</dd>
          </div>
          <div>
            <dt>Balance after</dt>
            <dd data-testid="balance-after" className={short ? 'is-short' : ''}>
              {chosen ? credits(balance - price) : credits(balance)}
            </dd>
          </div>
        </dl>
        <div className="sf-checkout-go">
          <button type="button" className="sf-button sf-button-primary" disabled={!!blocked || sending} onClick={() => void submit()} data-testid="start-shoot">
            {sending ? 'Sending…' : 'Start shoot'}
          </button>
          {blocked && <p className="sf-muted sf-reason">{blocked}</p>}
        </div>
      </div>
      {sendError && (
        <p className="sf-alert" role="alert" data-testid="submit-error">
          {sendError}
        </p>
      )}
    </div>
  );
}

function friendlySubmitError(err: HttpError): string {
  if (err.status === 402) return `Not enough credits: ${err.message}`;
  if (err.status === 413) return `That photo is too large: ${err.message}`;
  if (err.status === 401) return 'Your session has ended. Sign in again to send this shoot.';
  return err.message;
}

/** A template's preview image, or a quiet studio backdrop when none has been made yet. */
function TemplatePreview({ template }: { template: TemplateListing }) {
  if (template.previewUrl) return <img className="sf-template-img" src={template.previewUrl} alt={`Example shot: ${template.name}`} loading="lazy" />;
  return (
    <span className="sf-template-img sf-template-placeholder" aria-hidden="true">
      <svg viewBox="0 0 120 90" width="100%" height="100%" preserveAspectRatio="xMidYMid meet">
        <ellipse cx="60" cy="74" rx="26" ry="4" fill="rgba(15,23,42,0.12)" />
        <rect x="46" y="26" width="28" height="46" rx="6" fill="rgba(79,70,229,0.28)" />
        <rect x="53" y="18" width="14" height="10" rx="3" fill="rgba(79,70,229,0.38)" />
      </svg>
    </span>
  );
}
