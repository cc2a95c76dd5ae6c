import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createSecureContext } from 'node:tls';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fetchPage } from '../../src/fetch/fetch-page.js';
import { attempted, fakeLookup, guardNetwork, rejection } from './helpers.js';

const fixture = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
let server: https.Server | undefined;

beforeAll(() => {
  guardNetwork();
});

afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

describe('fetchPage over https', () => {
  it('connects to the pinned address, sends SNI for the host name, and refuses an untrusted certificate without retry', async () => {
    const context = createSecureContext({ key: fixture('self-signed-key.pem'), cert: fixture('self-signed-cert.pem') });
    const names: string[] = [];
    server = https.createServer({
      SNICallback: (name, done) => {
        names.push(name);
        done(null, context);
      },
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    attempted.length = 0;
    const lookup = fakeLookup({ 'tls.test': ['127.0.0.1'] });

    const error = await rejection(fetchPage(`https://tls.test:${port}/`, { lookup, allowPrivate: ['127.0.0.1'] }));

    expect(error).toMatchObject({ code: 'network', retryable: false });
    expect(String(error.message)).toContain('DEPTH_ZERO_SELF_SIGNED_CERT');
    expect(names).toEqual(['tls.test']);
    expect(attempted).toEqual(['127.0.0.1']);
    expect(lookup.calls).toEqual(['tls.test']);
  });
});
