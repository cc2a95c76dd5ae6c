/** Hash routes: `#/queue` (default), `#/articles?site=…`, `#/article/<id>`, `#/models`. */

export type Route =
  | { view: 'queue'; query: URLSearchParams }
  | { view: 'articles'; query: URLSearchParams }
  | { view: 'article'; id: string; query: URLSearchParams }
  | { view: 'models'; query: URLSearchParams };

export function parseRoute(hash: string): Route {
  const path = hash.replace(/^#\/?/, '');
  const [route = '', search = ''] = path.split('?', 2);
  const query = new URLSearchParams(search);
  const [name = '', ...rest] = route.split('/');
  switch (name) {
    case 'articles':
      return { view: 'articles', query };
    case 'article': {
      const id = decodeURIComponent(rest.join('/'));
      return id === '' ? { view: 'articles', query } : { view: 'article', id, query };
    }
    case 'models':
      return { view: 'models', query };
    default:
      return { view: 'queue', query };
  }
}

export function articleHref(id: string): string {
  return `#/article/${encodeURIComponent(id)}`;
}

/** `#/<view>?<query>` with empty values left out. */
export function viewHref(view: 'queue' | 'articles' | 'models', fields: Record<string, string | number | undefined> = {}): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== '') params.set(key, String(value));
  const search = params.toString();
  return `#/${view}${search ? `?${search}` : ''}`;
}
