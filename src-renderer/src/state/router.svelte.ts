// The current screen, from location.hash.
import { parseRoute, routeHash, type Route } from '../lib/routes';

class Router {
  route = $state<Route>(parseRoute(location.hash));

  constructor() {
    window.addEventListener('hashchange', () => {
      this.route = parseRoute(location.hash);
    });
  }

  go(route: Route) {
    const hash = routeHash(route);
    if (location.hash === hash) this.route = parseRoute(hash);
    else location.hash = hash;
  }
}

export const router = new Router();
