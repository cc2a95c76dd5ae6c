import { el } from './dom.js';
import { LABELS } from './types.js';

export interface FilterValues {
  site: string;
  label: string;
  model?: string;
}

/**
 * The site / label (/ model) filter form shared by the queue and the article list. Submitting
 * calls `apply` with the trimmed values; the view turns them into a new hash route.
 */
export function filterForm(id: string, values: FilterValues, apply: (values: FilterValues) => void): HTMLFormElement {
  const site = el('input', { attrs: { id: `${id}-site`, name: 'site', type: 'search', value: values.site, placeholder: 'news.example.com', autocomplete: 'off' } });
  const label = el(
    'select',
    { attrs: { id: `${id}-label`, name: 'label' } },
    el('option', { text: 'any label', attrs: { value: '' } }),
    ...LABELS.map((name) => el('option', { text: name, attrs: { value: name, selected: name === values.label } })),
  );
  const model =
    values.model === undefined
      ? null
      : el('input', { attrs: { id: `${id}-model`, name: 'model', type: 'search', value: values.model, placeholder: 'model version', autocomplete: 'off' } });
  const form = el(
    'form',
    { className: 'filters', attrs: { role: 'search', 'aria-label': 'Filters' } },
    field(`${id}-site`, 'Site', site),
    field(`${id}-label`, 'Label', label),
    model ? field(`${id}-model`, 'Model', model) : null,
    el('button', { text: 'Apply filters', attrs: { type: 'submit' } }),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    apply({ site: site.value.trim(), label: label.value, ...(model ? { model: model.value.trim() } : {}) });
  });
  return form;
}

function field(id: string, text: string, control: HTMLElement): HTMLElement {
  return el('div', { className: 'field' }, el('label', { text, attrs: { for: id } }), control);
}
