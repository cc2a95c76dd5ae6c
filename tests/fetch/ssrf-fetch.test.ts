import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { ALLOW_PRIVATE_ENV } from '../../src/fetch/options.js';
import { attempted, fakeLookup, guardNetwork, page, redirect, rejection, startServer, type TestServer } from './helpers.js';

let server: TestServer;

beforeAll(() => {
  guardNetwork();
});

beforeEach(() => {
  delete process.env[ALLOW_PRIVATE_ENV];
  attempted.length = 0;
});

afterEach(async () => {
  await server?.close();
});

describe('fetchPage refuses SSRF targets before any socket opens (RELIABILITY.md §5 item 13)', () => {
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://127.1/',
    'http://0.0.0.0/',
  ])('%s → blocked_address', async (url) => {
    const lookup = fakeLookup({});
    const error = await rejection(fetchPage(url, { lookup }));
    expect(error).toMatchObject({ code: 'blocked_address', retryable: false });
    expect(lookup.calls).toEqual([]);
    expect(attempted).toEqual([]);
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,<h1>x</h1>', 'ftp://example.com/', 'gopher://example.com/'])(
    '%s → bad_url',
    async (url) => {
      const lookup = fakeLookup({ 'example.com': ['93.184.216.34'] });
      expect(await rejection(fetchPage(url, { lookup }))).toMatchObject({ code: 'bad_url', retryable: false });
      expect(lookup.calls).toEqual([]);
      expect(attempted).toEqual([]);
    },
  );

  it('a name resolving to 127.0.0.1 (localtest.me) → blocked_address', async () => {
    const lookup = fakeLookup({ 'localtest.me': ['127.0.0.1'] });
    expect(await rejection(fetchPage('http://localtest.me/', { lookup }))).toMatchObject({ code: 'blocked_address' });
    expect(lookup.calls).toEqual(['localtest.me']);
    expect(attempted).toEqual([]);
  });

  it('a name with one public and one private address is refused: every address is checked', async () => {
    const lookup = fakeLookup({ 'mixed.example': ['93.184.216.34', '10.0.0.5'] });
    expect(await rejection(fetchPage('http://mixed.example/', { lookup }))).toMatchObject({ code: 'blocked_address' });
    expect(attempted).toEqual([]);
  });

  it.each(['::1', 'fe80::1', '::ffff:169.254.169.254', '64:ff9b::a9fe:a9fe'])('a name resolving to %s is refused', async (address) => {
    const lookup = fakeLookup({ 'v6.example': [address] });
    expect(await rejection(fetchPage('https://v6.example/', { lookup }))).toMatchObject({ code: 'blocked_address' });
    expect(attempted).toEqual([]);
  });

  it('a public name on a port other than 80/443 is refused', async () => {
    const lookup = fakeLookup({ 'example.com': ['93.184.216.34'] });
    expect(await rejection(fetchPage('http://example.com:6379/', { lookup }))).toMatchObject({ code: 'blocked_address' });
    expect(attempted).toEqual([]);
  });

  it('a "public" site that 302s to 169.254.169.254 → blocked_address, metadata never contacted', async () => {
    server = await startServer({ '/': redirect('http://169.254.169.254/latest/meta-data/iam/') });
    const lookup = fakeLookup({ 'public.example': ['127.0.0.1'] });
    const error = await rejection(fetchPage(`http://public.example:${server.port}/`, { lookup, allowPrivate: ['127.0.0.1'] }));
    expect(error).toMatchObject({ code: 'blocked_address' });
    expect(server.paths).toEqual(['/']);
    expect(attempted).toEqual(['127.0.0.1']);
  });

  it('an http → https redirect to a blocked address is refused too', async () => {
    server = await startServer({ '/': redirect('https://[::ffff:a9fe:a9fe]/') });
    expect(await rejection(fetchPage(server.url('/'), { allowPrivate: ['127.0.0.1'] }))).toMatchObject({ code: 'blocked_address' });
    expect(attempted).toEqual(['127.0.0.1']);
  });

  it('DNS rebinding: the connection goes to the address that was checked, resolved once per hop', async () => {
    server = await startServer({ '/': page('<p>pinned</p>') });
    let answers = 0;
    // First answer is the allowed stand-in for a public address, every later one is the metadata service.
    const lookup = fakeLookup({ 'rebind.example': () => (answers++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']) });
    const fetched = await fetchPage(`http://rebind.example:${server.port}/`, { lookup, allowPrivate: ['127.0.0.1'] });
    expect(Buffer.from(fetched.body).toString()).toBe('<p>pinned</p>');
    expect(lookup.calls).toEqual(['rebind.example']);
    expect(attempted).toEqual(['127.0.0.1']);
    expect(server.headers[0].host).toBe(`rebind.example:${server.port}`);
  });

  it('DNS rebinding across a redirect: the next hop is resolved and checked again', async () => {
    server = await startServer({ '/': redirect('/next'), '/next': page('<p>never</p>') });
    let answers = 0;
    const lookup = fakeLookup({ 'rebind.example': () => (answers++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']) });
    const error = await rejection(fetchPage(`http://rebind.example:${server.port}/`, { lookup, allowPrivate: ['127.0.0.1'] }));
    expect(error).toMatchObject({ code: 'blocked_address' });
    expect(server.paths).toEqual(['/']);
    expect(lookup.calls).toEqual(['rebind.example', 'rebind.example']);
  });

  it('an allow-listed host name may use any port', async () => {
    server = await startServer({ '/': page('<p>internal</p>') });
    const lookup = fakeLookup({ 'intranet.test': ['127.0.0.1'] });
    const fetched = await fetchPage(`http://intranet.test:${server.port}/`, { lookup, allowPrivate: ['intranet.test'] });
    expect(fetched.status).toBe(200);
  });
});
