import { describe, expect, it } from 'vitest';
import { AllowList, checkAddress, checkPort, isBlockedAddress, validateUrl } from '../../src/fetch/ssrf.js';

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code;
  }
}

describe('checkAddress', () => {
  it.each([
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.0.9',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.10',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '0:0:0:0:0:0:0:1',
    '::7f00:1',
    'fc00::1',
    'fd12:3456::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:169.254.169.254',
    '::ffff:10.0.0.1',
    '::ffff:0.0.0.0',
    '64:ff9b::8.8.8.8',
    '64:ff9b::a9fe:a9fe',
    '2001:db8::1',
    '2002:7f00:1::1',
    '2001::1',
    '[::1]',
  ])('blocks %s', (ip) => {
    expect(codeOf(() => checkAddress(ip))).toBe('blocked_address');
    expect(isBlockedAddress(ip)).toBe(true);
  });

  it.each(['8.8.8.8', '1.1.1.1', '93.184.216.34', '172.32.0.1', '100.128.0.1', '169.253.255.255', '2606:4700:4700::1111', '2a00:1450:4001::200e', '::ffff:8.8.8.8'])(
    'lets public %s through',
    (ip) => {
      expect(() => checkAddress(ip)).not.toThrow();
      expect(isBlockedAddress(ip)).toBe(false);
    },
  );

  it('blocks what is not an IP address at all', () => {
    expect(codeOf(() => checkAddress('localhost'))).toBe('blocked_address');
  });

  it('lets allow-listed addresses and ranges through, including their mapped forms', () => {
    const allow = ['127.0.0.1', '10.0.0.0/8', 'fd00::/8'];
    expect(() => checkAddress('127.0.0.1', allow)).not.toThrow();
    expect(() => checkAddress('::ffff:127.0.0.1', allow)).not.toThrow();
    expect(() => checkAddress('10.20.30.40', allow)).not.toThrow();
    expect(() => checkAddress('fd00::5', allow)).not.toThrow();
    expect(codeOf(() => checkAddress('127.0.0.2', allow))).toBe('blocked_address');
    expect(codeOf(() => checkAddress('169.254.169.254', allow))).toBe('blocked_address');
  });
});

describe('AllowList', () => {
  it('matches host names case-insensitively and without a trailing dot', () => {
    const list = AllowList.from(['Intranet.Example.', 'bücher.example']);
    expect(list.allowsHost('intranet.example')).toBe(true);
    expect(list.allowsHost('INTRANET.example.')).toBe(true);
    expect(list.allowsHost('xn--bcher-kva.example')).toBe(true);
    expect(list.allowsHost('other.example')).toBe(false);
    expect(list.allowsAddress('127.0.0.1')).toBe(false);
  });

  it('refuses malformed ranges', () => {
    expect(() => AllowList.from(['10.0.0.0/33'])).toThrow(RangeError);
    expect(() => AllowList.from(['intranet/8'])).toThrow(RangeError);
    expect(() => AllowList.from(['10.0.0.0/x'])).toThrow(RangeError);
  });
});

describe('validateUrl', () => {
  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://169.254.169.254/latest/meta-data/',
    'http://[::ffff:127.0.0.1]/',
    'http://2130706433/',
    'http://0x7f.1/',
    'http://127.1/',
    'http://0.0.0.0/',
    'http://0177.0.0.1/',
    'http://127.0.0.1./',
    'http://%31%32%37.0.0.1/',
    'http://[0:0:0:0:0:ffff:127.0.0.1]/',
    'https://[fe80::1]/',
    'http://[64:ff9b::a9fe:a9fe]/',
    'http://0xa9fea9fe/',
    'http://10.1/',
  ])('blocks the IP literal in %s', (url) => {
    expect(codeOf(() => validateUrl(url))).toBe('blocked_address');
  });

  it.each([
    'file:///etc/passwd',
    'javascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'ftp://example.com/file',
    'gopher://example.com:70/_GET',
    'ws://example.com/',
    'mailto:a@example.com',
    '//example.com/',
    '/relative/path',
    '',
    'http://',
    'http://user:pass@example.com/',
    'http://user@example.com/',
  ])('rejects %s as bad_url', (url) => {
    expect(codeOf(() => validateUrl(url))).toBe('bad_url');
  });

  it('accepts public http and https URLs on ports 80 and 443', () => {
    expect(validateUrl('https://example.com/a?b=1').href).toBe('https://example.com/a?b=1');
    expect(validateUrl('http://example.com:443/').host).toBe('example.com:443');
    expect(validateUrl('https://example.com:80/').host).toBe('example.com:80');
    expect(validateUrl('http://8.8.8.8/').hostname).toBe('8.8.8.8');
  });

  it('refuses other ports unless the host is allow-listed', () => {
    expect(codeOf(() => validateUrl('http://example.com:8080/'))).toBe('blocked_address');
    expect(codeOf(() => validateUrl('http://8.8.8.8:22/'))).toBe('blocked_address');
    expect(validateUrl('http://example.com:8080/', ['example.com']).port).toBe('8080');
    expect(validateUrl('http://127.0.0.1:3000/', ['127.0.0.1']).port).toBe('3000');
    expect(validateUrl('http://[::1]:3000/', ['::1']).port).toBe('3000');
  });

  it('leaves a name on another port to be judged once resolved when the allow list has ranges', () => {
    expect(() => validateUrl('http://app.internal:8080/', ['10.0.0.0/8'])).not.toThrow();
    const url = new URL('http://app.internal:8080/');
    expect(() => checkPort(url, ['10.1.2.3'], ['10.0.0.0/8'])).not.toThrow();
    expect(codeOf(() => checkPort(url, ['10.1.2.3', '8.8.8.8'], ['10.0.0.0/8']))).toBe('blocked_address');
  });
});
