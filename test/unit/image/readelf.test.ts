import { describe, expect, it } from 'vitest';
import { parseReadelf } from '../../../harness/image/readelf.ts';

// Trimmed from `readelf -W -h -l -d /usr/bin/ndctl /usr/bin/busybox /etc/passwd` on Debian 12.
const MULTI = `
File: /usr/bin/ndctl
ELF Header:
  Magic:   7f 45 4c 46 02 01 01 00 00 00 00 00 00 00 00 00
  Class:                             ELF64
  Data:                              2's complement, little endian
  Machine:                           Advanced Micro Devices X86-64

Elf file type is DYN (Position-Independent Executable file)
Program Headers:
  Type           Offset   VirtAddr           PhysAddr           FileSiz  MemSiz   Flg Align
  INTERP         0x000318 0x0000000000000318 0x0000000000000318 0x00001c 0x00001c R   0x1
      [Requesting program interpreter: /lib64/ld-linux-x86-64.so.2]

Dynamic section at offset 0x5e9c8 contains 31 entries:
  Tag        Type                         Name/Value
 0x0000000000000001 (NEEDED)             Shared library: [libndctl.so.6]
 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]
 0x000000000000001d (RUNPATH)            Library runpath: [$ORIGIN/../lib:/opt/x]

File: /usr/bin/busybox
ELF Header:
  Class:                             ELF64
  Machine:                           Advanced Micro Devices X86-64

Elf file type is EXEC (Executable file)

There is no dynamic section in this file.
readelf: Error: /etc/passwd: Failed to read file header
`;

describe('parseReadelf', () => {
  it('splits several files and reads interpreter, NEEDED and RUNPATH', () => {
    const m = parseReadelf(MULTI, ['/usr/bin/ndctl', '/usr/bin/busybox', '/etc/passwd']);
    expect(m.get('/usr/bin/ndctl')).toEqual({
      elfClass: 'ELF64',
      machine: 'Advanced Micro Devices X86-64',
      interp: '/lib64/ld-linux-x86-64.so.2',
      needed: ['libndctl.so.6', 'libc.so.6'],
      rpath: [],
      runpath: ['$ORIGIN/../lib', '/opt/x'],
    });
    expect(m.get('/usr/bin/busybox')).toMatchObject({ interp: undefined, needed: [] });
    expect(m.has('/etc/passwd')).toBe(false);
  });

  it('attributes single-file output (no File: line) to that file', () => {
    const text = `ELF Header:\n  Class:    ELF32\n  Machine:  Intel 80386\n 0x00000001 (NEEDED)  Shared library: [libc.so.6]\n 0x0000000f (RPATH)  Library rpath: [/usr/lib/i386]\n`;
    expect(parseReadelf(text, ['/x'])).toEqual(
      new Map([
        [
          '/x',
          {
            elfClass: 'ELF32',
            machine: 'Intel 80386',
            interp: undefined,
            needed: ['libc.so.6'],
            rpath: ['/usr/lib/i386'],
            runpath: [],
          },
        ],
      ]),
    );
  });
});
