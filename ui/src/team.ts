// The Team section of the Sync page: start or join a team (the invite and the
// join request are files saved through native dialogs), or, in a team, this
// laptop's key fingerprint, the laptops enrolled, enrolling one from its join
// request and revoking one.

import { api, toApiError, type DeviceView, type TeamView } from './api';
import { h, replace } from './dom';
import { formatDateTime, t } from './i18n';
import { errorText, setStatus, showError } from './status';

export interface TeamSection {
  el: HTMLElement;
  /** Reloads the team; resolves to it (null: this laptop is in none). */
  refresh(): Promise<TeamView | null>;
}

// ---------------------------------------------------------------- small forms

export interface Input {
  wrap: HTMLElement;
  input: HTMLInputElement;
  error(text: string | null): void;
}

let uid = 0;

/** A unique id for a field of these forms. */
export function fieldId(name: string): string {
  return `team-${name}-${++uid}`;
}

/** The error line of `control`'s field (put `el` in the field's wrap): shows or clears the error. */
export function fieldError(id: string, control: HTMLElement): { el: HTMLElement; error(text: string | null): void } {
  const el = h('div', { class: 'field-error', id: `${id}-err`, role: 'alert', hidden: true });
  const error = (text: string | null) => {
    el.textContent = text ?? '';
    el.hidden = text === null;
    el.parentElement?.classList.toggle('has-error', text !== null);
    if (text === null) control.removeAttribute('aria-invalid');
    else {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', el.id);
    }
  };
  return { el, error };
}

/** A labelled input with its error line (also the Hub section's). */
export function input(name: string, label: string, type: 'text' | 'password' = 'text'): Input {
  const id = fieldId(name);
  const el = h('input', { id, type, 'data-field': name, autocomplete: type === 'password' ? 'new-password' : 'off', spellcheck: 'false' });
  const err = fieldError(id, el);
  const wrap = h('div', { class: 'field' }, h('label', { for: id, class: 'field-label' }, label), el, err.el);
  el.addEventListener('input', () => err.error(null));
  return { wrap, input: el, error: err.error };
}

/** Checks that each input has a value and the passphrase is long enough; false when not. */
function checkRequired(inputs: Input[], passphrase: Input): boolean {
  let ok = true;
  for (const i of inputs) {
    if (i.input.value.trim() === '') {
      i.error(t('error.required'));
      ok = false;
    }
  }
  if (passphrase.input.value !== '' && [...passphrase.input.value].length < 8) {
    passphrase.error(t('team.passphrase_short'));
    ok = false;
  }
  if (!ok) inputs.find((i) => i.wrap.classList.contains('has-error'))?.input.focus();
  return ok;
}

/** A form of the Start / Join pair: runs `submit`, shows a refusal under the form. */
function teamForm(
  testid: string,
  title: string,
  intro: string,
  inputs: Input[],
  passphrase: Input,
  submitLabel: string,
  submit: () => Promise<void>,
): HTMLFormElement {
  const problem = h('div', { class: 'sync-problem', role: 'alert', 'data-testid': 'team-error', hidden: true });
  const button = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': `${testid}-submit` }, submitLabel);
  const form = h(
    'form',
    { class: 'team-form', 'data-testid': testid, novalidate: true, autocomplete: 'off' },
    h('h3', null, title),
    h('p', { class: 'muted small' }, intro),
    inputs.map((i) => i.wrap),
    problem,
    h('div', { class: 'form-foot' }, button),
  );
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    problem.hidden = true;
    if (!checkRequired(inputs, passphrase)) return;
    button.disabled = true;
    try {
      await submit();
    } catch (e) {
      const err = toApiError(e);
      if (err.field === 'passphrase') passphrase.error(t('team.passphrase_short'));
      else {
        problem.textContent = errorText(err);
        problem.hidden = false;
      }
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

// ---------------------------------------------------------------- the section

export function teamSection(changed: () => Promise<void>): TeamSection {
  const notice = h('div', { class: 'sync-notice', 'data-testid': 'team-notice', role: 'status', hidden: true });
  const body = h('div', { class: 'team-body' });
  const el = h(
    'section',
    { class: 'sync-section team', 'data-testid': 'team', 'aria-label': t('team.title') },
    h('div', { class: 'section-head' }, h('h2', null, t('team.title'))),
    notice,
    body,
  );

  const tell = (text: string, path?: string) => {
    replace(notice, h('p', null, text), path ? h('code', { class: 'path', 'data-testid': 'team-file' }, path) : null);
    notice.hidden = false;
  };

  function noTeam(): Node[] {
    const name = input('name', t('team.name'));
    const label = input('label', t('team.laptop_label'));
    const pass = input('passphrase', t('team.passphrase'), 'password');
    const again = input('passphrase2', t('team.passphrase_again'), 'password');
    const start = teamForm('team-init', t('team.start_title'), t('team.start_intro'), [name, label, pass, again], pass, t('team.start'), async () => {
      if (pass.input.value !== again.input.value) {
        again.error(t('team.passphrase_mismatch'));
        again.input.focus();
        return;
      }
      const path = await api.teamInit(name.input.value.trim(), label.input.value.trim(), pass.input.value);
      if (path === null) return;
      tell(t('team.invite_saved'), path);
      await changed();
    });
    const joinLabel = input('label', t('team.laptop_label'));
    const joinPass = input('passphrase', t('team.passphrase'), 'password');
    const join = teamForm('team-join', t('team.join_title'), t('team.join_intro'), [joinLabel, joinPass], joinPass, t('team.join'), async () => {
      const path = await api.teamJoin(joinLabel.input.value.trim(), joinPass.input.value);
      if (path === null) return;
      tell(t('team.request_saved'), path);
      await changed();
    });
    return [h('p', { class: 'section-intro muted' }, t('team.none')), h('div', { class: 'team-forms' }, start, join)];
  }

  function deviceRow(team: TeamView, d: DeviceView): HTMLElement {
    const byLabel = (actor: string | null) => (actor ? (team.devices.find((x) => x.actor === actor)?.label ?? actor) : '—');
    const actions = h('td', { class: 'device-actions' });
    const revoke = async () => {
      try {
        const out = await api.teamRevoke(d.actor);
        setStatus({ text: t('team.revoked_status', { label: out.label }) });
        await changed();
      } catch (e) {
        showError(toApiError(e));
      }
    };
    const askRevoke = () =>
      replace(
        actions,
        h(
          'span',
          { class: 'revoke-confirm', role: 'group', 'aria-label': t('team.revoke_question', { label: d.label }) },
          h('span', { class: 'small' }, t('team.revoke_question', { label: d.label })),
          h('button', { type: 'button', class: 'btn btn-small danger', 'data-testid': 'revoke-confirm', onclick: () => void revoke() }, t('team.revoke')),
          h('button', { type: 'button', class: 'btn btn-small btn-quiet', 'data-testid': 'revoke-cancel', onclick: () => showActions() }, t('action.cancel')),
        ),
      );
    const showActions = () =>
      replace(
        actions,
        d.this_laptop || d.revoked_at
          ? null
          : h(
              'button',
              { type: 'button', class: 'btn btn-small btn-quiet danger-hover', 'data-testid': 'revoke-device', title: t('team.revoke_hint'), onclick: askRevoke },
              t('team.revoke'),
            ),
      );
    showActions();
    return h(
      'tr',
      { class: `team-device${d.revoked_at ? ' revoked' : ''}`, 'data-testid': 'team-device', 'data-actor': d.actor },
      h('td', null, h('span', { class: 'device-label' }, d.label), d.this_laptop ? h('span', { class: 'badge' }, t('team.this_laptop')) : null),
      h('td', null, h('code', { class: 'fingerprint' }, d.fingerprint)),
      h(
        'td',
        { 'data-status': d.revoked_at ? 'revoked' : 'active' },
        d.revoked_at
          ? h('span', { class: 'device-status revoked', title: formatDateTime(d.revoked_at) }, t('team.revoked_on', { when: formatDateTime(d.revoked_at) }))
          : h('span', { class: 'device-status active' }, t('team.active')),
      ),
      h('td', null, byLabel(d.added_by)),
      actions,
    );
  }

  function inTeam(team: TeamView): Node[] {
    const me = team.devices.find((d) => d.this_laptop);
    const enrol = h(
      'button',
      {
        type: 'button',
        class: 'btn',
        'data-testid': 'add-device',
        onclick: async () => {
          enrol.disabled = true;
          try {
            const added = await api.teamAddDevice();
            if (added) {
              tell(t('team.enrolled', { label: added.label, fingerprint: added.fingerprint }));
              await changed();
            }
          } catch (e) {
            showError(toApiError(e));
          } finally {
            enrol.disabled = false;
          }
        },
      },
      t('team.add_device'),
    );
    return [
      h(
        'dl',
        { class: 'facts team-facts' },
        h('div', { class: 'fact' }, h('dt', null, t('team.name')), h('dd', { 'data-testid': 'team-name' }, team.name)),
        h('div', { class: 'fact' }, h('dt', null, t('team.project_key')), h('dd', null, h('code', { 'data-testid': 'project-key-id' }, team.project_key_id))),
        h('div', { class: 'fact' }, h('dt', null, t('team.this_laptop')), h('dd', { 'data-testid': 'this-laptop' }, me?.label ?? '—')),
        h('div', { class: 'fact' }, h('dt', null, t('team.device_id')), h('dd', null, h('code', { 'data-testid': 'device-id' }, team.device))),
      ),
      h(
        'div',
        { class: 'my-fingerprint' },
        h('div', { class: 'field-label' }, t('team.my_fingerprint')),
        h('div', { class: 'fingerprint big', 'data-testid': 'my-fingerprint' }, team.fingerprint),
        h('p', { class: 'muted small' }, t('team.fingerprint_hint')),
      ),
      h(
        'table',
        { class: 'sync-table devices' },
        h(
          'thead',
          null,
          h('tr', null, h('th', null, t('team.laptop')), h('th', null, t('team.fingerprint')), h('th', null, t('team.status')), h('th', null, t('team.added_by')), h('th', null, h('span', { class: 'sr-only' }, t('team.actions')))),
        ),
        h('tbody', null, team.devices.map((d) => deviceRow(team, d))),
      ),
      h('div', { class: 'enrol' }, enrol, h('p', { class: 'muted small' }, t('team.add_device_hint'))),
    ];
  }

  return {
    el,
    async refresh() {
      let team: TeamView | null = null;
      try {
        team = await api.teamShow();
      } catch (e) {
        replace(body, h('p', { class: 'sync-problem' }, toApiError(e).message));
        return null;
      }
      replace(body, team ? inTeam(team) : noTeam());
      el.dataset.team = team ? 'yes' : 'no';
      return team;
    },
  };
}
