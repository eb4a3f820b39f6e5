// Hash routes: they work the same from Electron's file:// page and from a
// `kerv serve` URL, and make every screen linkable (#/runs/12).

export type Route =
  | { name: 'new'; cloneFrom: number | null }
  | { name: 'runs' }
  | { name: 'run'; id: number }
  | { name: 'compare'; ids: number[] }
  | { name: 'analysis'; groupId: number | null; ids: number[] }
  | { name: 'export'; ids: number[] }
  | { name: 'settings' }
  | { name: 'workers' };

function ids(params: URLSearchParams): number[] {
  return (params.get('ids') ?? '')
    .split(',')
    .map((s) => Number(s))
    .filter((n) => Number.isSafeInteger(n) && n > 0);
}

export function parseRoute(hash: string): Route {
  const [path, query = ''] = hash.replace(/^#/, '').split('?');
  const params = new URLSearchParams(query);
  const parts = path.split('/').filter(Boolean);
  switch (parts[0]) {
    case 'new': {
      const clone = Number(params.get('clone'));
      return { name: 'new', cloneFrom: Number.isSafeInteger(clone) && clone > 0 ? clone : null };
    }
    case 'runs': {
      const id = Number(parts[1]);
      return parts[1] !== undefined && Number.isSafeInteger(id) && id > 0 ? { name: 'run', id } : { name: 'runs' };
    }
    case 'compare':
      return { name: 'compare', ids: ids(params) };
    case 'analysis': {
      const group = Number(params.get('group'));
      return { name: 'analysis', groupId: Number.isSafeInteger(group) && group > 0 ? group : null, ids: ids(params) };
    }
    case 'export':
      return { name: 'export', ids: ids(params) };
    case 'settings':
      return { name: 'settings' };
    case 'workers':
      return { name: 'workers' };
    default:
      return { name: 'runs' };
  }
}

export function routeHash(route: Route): string {
  switch (route.name) {
    case 'new':
      return route.cloneFrom ? `#/new?clone=${route.cloneFrom}` : '#/new';
    case 'runs':
      return '#/runs';
    case 'run':
      return `#/runs/${route.id}`;
    case 'compare':
      return `#/compare?ids=${route.ids.join(',')}`;
    case 'analysis':
      return route.ids.length ? `#/analysis?ids=${route.ids.join(',')}` : route.groupId ? `#/analysis?group=${route.groupId}` : '#/analysis';
    case 'export':
      return route.ids.length ? `#/export?ids=${route.ids.join(',')}` : '#/export';
    case 'settings':
      return '#/settings';
    case 'workers':
      return '#/workers';
  }
}
