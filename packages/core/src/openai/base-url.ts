import { RhoError } from '../errors.ts';

/**
 * A server's base URL as OpenAI clients expect it (…/v1, no trailing slash): users pass
 * http://HOST:PORT as often as http://HOST:PORT/v1.
 */
export function normalizeBaseUrl(url: string, field = '--model'): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new RhoError('BAD_CONFIG', `not a URL: ${url}`, { field, hint: 'give a server as http://HOST:PORT/v1' });
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:')
    throw new RhoError('BAD_CONFIG', `not an http(s) URL: ${url}`, { field, hint: 'give a server as http://HOST:PORT/v1' });
  const path = u.pathname.replace(/\/+$/, '');
  u.pathname = path.endsWith('/v1') ? path : `${path}/v1`;
  return u.toString().replace(/\/+$/, '');
}
