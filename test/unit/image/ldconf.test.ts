import { describe, expect, it } from 'vitest';
import { parseLdConf } from '../../../harness/image/ldconf.ts';

describe('parseLdConf', () => {
  const files: Record<string, string> = {
    '/etc/ld.so.conf': 'include /etc/ld.so.conf.d/*.conf\n\n/usr/local/lib  # local\n',
    '/etc/ld.so.conf.d/x86_64-linux-gnu.conf':
      '# Multiarch support\n/usr/local/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib/x86_64-linux-gnu\n',
    '/etc/ld.so.conf.d/libc.conf': '/usr/local/lib\nhwcap 1 nosegneg\ninclude loop.conf\n',
    '/etc/ld.so.conf.d/loop.conf': 'include /etc/ld.so.conf\n/opt/lib=ELF\n',
  };
  const reader = {
    read: (p: string) => files[p],
    glob: (pattern: string) => {
      const re = new RegExp(`^${pattern.replace(/[.]/g, '\\.').replace(/\*/g, '[^/]*')}$`);
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
  };

  it('follows includes (relative ones from the including folder), once each, in order', () => {
    expect(parseLdConf('/etc/ld.so.conf', reader)).toEqual([
      '/usr/local/lib',
      '/opt/lib',
      '/usr/local/lib/x86_64-linux-gnu',
      '/lib/x86_64-linux-gnu',
      '/usr/lib/x86_64-linux-gnu',
    ]);
  });

  it('gives nothing for a missing file', () => {
    expect(parseLdConf('/nope', reader)).toEqual([]);
  });
});
