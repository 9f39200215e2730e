// Sections inside a record's detail: child records edited in place (measurements,
// parameters, contacts), a finding's attachments, and links to related records.

import { api, fileUrl, toApiError, type Rec } from './api';
import { h, replace } from './dom';
import { recordForm, type FormContext } from './form';
import { enumLabel, fieldLabel, kindLabel, recordTitle, t } from './i18n';
import { kindSpec } from './schema';
import { setStatus, showError } from './status';

export interface ChildSectionOptions {
  kind: string;
  parentId: string;
  testid: string;
  newTestid: string;
  title: string;
  addLabel: string;
  context?: FormContext;
  /** Fields of the child shown as columns (all but the parent by default). */
  columns?: string[];
  onWrite?: () => void;
}

/** A section listing a record's children as one editable row each, with its own New button. */
export async function childSection(o: ChildSectionOptions): Promise<HTMLElement> {
  const spec = kindSpec(o.kind);
  const parent = spec.parent ?? '';
  const columns = o.columns ?? spec.fields.filter((f) => f.name !== parent).map((f) => f.name);
  const countEl = h('span', { class: 'count' });
  const rowsEl = h('div', { class: 'rows' });
  const newHost = h('div', { class: 'rows rows-new' });
  const emptyEl = h('p', { class: 'muted empty-rows' }, t('section.none', { kind: kindLabel(o.kind, true) }));
  let newForm: HTMLFormElement | null = null;

  const newBtn = h(
    'button',
    { type: 'button', class: 'btn btn-small', 'data-testid': o.newTestid, onclick: () => void addNew() },
    `+ ${o.addLabel}`,
  );

  const head = h(
    'div',
    { class: 'row-head', 'aria-hidden': 'true' },
    h(
      'div',
      { class: 'row-fields' },
      columns.map((c) => h('span', null, fieldLabel(o.kind, c), spec.fields.find((f) => f.name === c)?.required ? ' *' : '')),
    ),
    h('div', { class: 'row-actions' }),
  );

  const section = h(
    'section',
    { class: `child-section rows-${o.kind}`, 'data-testid': o.testid, 'aria-label': o.title },
    h('div', { class: 'section-head' }, h('h3', null, o.title, countEl), newBtn),
    head,
    rowsEl,
    newHost,
    emptyEl,
  );

  const hidden = spec.fields.map((f) => f.name).filter((n) => !columns.includes(n));

  async function load(): Promise<void> {
    let list: Rec[] = [];
    try {
      list = await api.list(o.kind, o.parentId);
    } catch (e) {
      showError(toApiError(e));
    }
    const forms = await Promise.all(
      list.map((rec) =>
        recordForm({
          kind: o.kind,
          record: rec,
          variant: 'row',
          hidden,
          context: o.context,
          onSaved: () => o.onWrite?.(),
          onDeleted: () => {
            o.onWrite?.();
            void load().then(() => newBtn.focus());
          },
        }),
      ),
    );
    replace(rowsEl, forms.map((f) => f.el));
    countEl.textContent = String(list.length);
    updateEmpty(list.length);
  }

  function updateEmpty(n: number): void {
    const none = n === 0 && !newForm;
    emptyEl.hidden = !none;
    head.hidden = n === 0 && !newForm;
  }

  async function addNew(): Promise<void> {
    if (newForm) {
      newForm.querySelector<HTMLElement>('input, select, textarea')?.focus();
      return;
    }
    const close = () => {
      newForm?.remove();
      newForm = null;
      updateEmpty(rowsEl.childElementCount);
    };
    const f = await recordForm({
      kind: o.kind,
      record: null,
      variant: 'row',
      hidden,
      fixed: { [parent]: o.parentId },
      context: o.context,
      onCreated: () => {
        close();
        o.onWrite?.();
        void load().then(() => newBtn.focus());
      },
      onCancel: () => {
        close();
        newBtn.focus();
      },
    });
    newForm = f.el;
    newHost.appendChild(f.el);
    updateEmpty(rowsEl.childElementCount);
    f.focusFirst();
  }

  await load();
  return section;
}

/** Waits for a photo to decode (at most 4 s); false when it cannot be, such as a
 * photo whose record came in one bundle part and whose file is in another. */
function loaded(img: HTMLImageElement): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(() => resolve(true), 4000);
    const done = (ok: boolean) => () => {
      window.clearTimeout(timer);
      resolve(ok);
    };
    img.decode().then(done(true), done(false));
  });
}

function formatSize(bytes: number): string {
  if (bytes < 1024) return t('size.bytes', { n: bytes });
  if (bytes < 1024 * 1024) return t('size.kb', { n: (bytes / 1024).toFixed(0) });
  return t('size.mb', { n: (bytes / 1024 / 1024).toFixed(1) });
}

function openLightbox(rec: Rec): void {
  const close = () => {
    overlay.remove();
    document.removeEventListener('keydown', onKey, true);
  };
  const onKey = (ev: KeyboardEvent) => {
    if (ev.key === 'Escape') {
      ev.stopPropagation();
      close();
    }
  };
  const overlay = h(
    'div',
    { class: 'lightbox', role: 'dialog', 'aria-modal': 'true', 'aria-label': String(rec.fields.file_name ?? ''), onclick: close },
    h('img', { src: fileUrl(String(rec.fields.sha256)), alt: String(rec.fields.caption ?? rec.fields.file_name ?? '') }),
    h('div', { class: 'lightbox-caption' }, String(rec.fields.caption ?? rec.fields.file_name ?? '')),
    h('button', { type: 'button', class: 'lightbox-close', 'aria-label': t('action.close') }, '×'),
  );
  document.addEventListener('keydown', onKey, true);
  document.body.appendChild(overlay);
  overlay.querySelector<HTMLElement>('button')?.focus();
}

/** A finding's photos and documents: thumbnails, captions, and three ways to add files. */
export async function attachmentsSection(findingId: string, onWrite?: () => void): Promise<HTMLElement> {
  const grid = h('div', { class: 'attachment-grid' });
  const countEl = h('span', { class: 'count' });
  const busy = h('span', { class: 'muted busy', role: 'status' });

  const upload = async (files: FileList | File[]) => {
    const list = [...files];
    if (list.length === 0) return;
    busy.textContent = t('attach.uploading', { n: list.length });
    setStatus('saving');
    try {
      for (const file of list) {
        const role = file.type.startsWith('image/') ? 'photo' : 'document';
        const bytes = Array.from(new Uint8Array(await file.arrayBuffer()));
        await api.attachBytes(findingId, role, file.name, bytes);
      }
      setStatus('saved');
    } catch (e) {
      setStatus('failed');
      showError(toApiError(e));
    } finally {
      busy.textContent = '';
      onWrite?.();
      await load();
    }
  };

  const input = h('input', {
    type: 'file',
    class: 'file-input',
    multiple: true,
    'data-testid': 'attach-input',
    'aria-label': t('attach.upload'),
    title: t('attach.upload'),
  });
  input.addEventListener('change', () => {
    const files = input.files ? [...input.files] : [];
    input.value = '';
    void upload(files);
  });

  const pick = async (role: 'photo' | 'document') => {
    try {
      const rec = await api.pickAttachment(findingId, role);
      if (rec) {
        setStatus('saved');
        onWrite?.();
        await load();
      }
    } catch (e) {
      showError(toApiError(e));
    }
  };

  const section = h(
    'section',
    { class: 'child-section attachments', 'data-testid': 'attachments', 'aria-label': t('section.attachments') },
    h(
      'div',
      { class: 'section-head' },
      h('h3', null, t('section.attachments'), countEl),
      h(
        'div',
        { class: 'section-actions' },
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'attach-photo', onclick: () => void pick('photo') }, `+ ${t('attach.photo')}`),
        h('button', { type: 'button', class: 'btn btn-small', 'data-testid': 'attach-document', onclick: () => void pick('document') }, `+ ${t('attach.document')}`),
      ),
    ),
    h(
      'div',
      { class: 'dropzone' },
      h('label', { class: 'file-label' }, input, h('span', { class: 'file-label-text' }, t('attach.upload_label'))),
      h('span', { class: 'muted' }, t('attach.drop_hint')),
      busy,
    ),
    grid,
  );

  section.addEventListener('dragover', (ev) => {
    if (ev.dataTransfer?.types.includes('Files')) {
      ev.preventDefault();
      section.classList.add('dragging');
    }
  });
  section.addEventListener('dragleave', () => section.classList.remove('dragging'));
  section.addEventListener('drop', (ev) => {
    section.classList.remove('dragging');
    if (ev.dataTransfer?.files.length) {
      ev.preventDefault();
      void upload(ev.dataTransfer.files);
    }
  });

  async function load(): Promise<void> {
    let list: Rec[] = [];
    try {
      list = await api.list('attachment', findingId);
    } catch (e) {
      showError(toApiError(e));
    }
    countEl.textContent = String(list.length);
    const cards = await Promise.all(
      list.map(async (rec) => {
        const isPhoto = rec.fields.role === 'photo';
        const name = String(rec.fields.file_name ?? '');
        let preview: HTMLElement;
        if (isPhoto) {
          const img = h('img', {
            src: fileUrl(String(rec.fields.sha256)),
            alt: String(rec.fields.caption ?? name),
            'data-testid': 'thumbnail',
          });
          // Show the card once the photo is decoded (no empty frame, no layout jump).
          preview = (await loaded(img))
            ? h('button', { type: 'button', class: 'thumb', title: t('attach.open'), onclick: () => openLightbox(rec) }, img)
            : h('div', { class: 'thumb doc pending', title: t('attach.pending'), 'data-testid': 'photo-pending' }, t('attach.pendingShort'));
        } else {
          preview = h('div', { class: 'thumb doc', 'aria-hidden': 'true' }, (name.split('.').pop() ?? '').slice(0, 5).toUpperCase() || '?');
        }
        const form = await recordForm({
          kind: 'attachment',
          record: rec,
          variant: 'row',
          hidden: ['file_name'],
          onSaved: () => onWrite?.(),
          onDeleted: () => {
            onWrite?.();
            void load();
          },
        });
        return h(
          'figure',
          { class: 'attachment-card', 'data-kind': 'attachment', 'data-id': rec.id },
          preview,
          h(
            'figcaption',
            null,
            h('div', { class: 'file-name', title: name }, name),
            h(
              'div',
              { class: 'muted small' },
              `${enumLabel('role', String(rec.fields.role))} · ${formatSize(Number(rec.fields.size_bytes ?? 0))}`,
            ),
            form.el,
          ),
        );
      }),
    );
    replace(grid, cards);
    if (list.length === 0) grid.appendChild(h('p', { class: 'muted empty-rows' }, t('attach.none')));
  }

  await load();
  return section;
}

/** A short list of related records, each a link that opens it. */
export function linkedList(title: string, records: Rec[], open: (r: Rec) => void, sub?: (r: Rec) => string): HTMLElement {
  return h(
    'section',
    { class: 'child-section linked' },
    h('div', { class: 'section-head' }, h('h3', null, title, h('span', { class: 'count' }, String(records.length)))),
    records.length === 0
      ? h('p', { class: 'muted empty-rows' }, t('section.none_linked'))
      : h(
          'ul',
          { class: 'link-list' },
          records.map((r) =>
            h(
              'li',
              null,
              h(
                'button',
                { type: 'button', class: 'link', 'data-kind': r.kind, 'data-id': r.id, onclick: () => open(r) },
                recordTitle(r),
              ),
              sub ? h('span', { class: 'muted small' }, ` ${sub(r)}`) : null,
            ),
          ),
        ),
  );
}
