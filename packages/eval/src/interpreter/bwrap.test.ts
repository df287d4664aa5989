import { describe, expect, it } from 'vitest';
import { bwrapArgs, type PathKind } from './bwrap.ts';

const host: Record<string, PathKind> = {
  '/usr': { kind: 'dir' },
  '/bin': { kind: 'symlink', target: 'usr/bin' },
  '/lib': { kind: 'symlink', target: 'usr/lib' },
  '/lib64': { kind: 'symlink', target: 'usr/lib64' },
  '/etc/localtime': { kind: 'file' },
};
const inspect = (p: string): PathKind => host[p] ?? { kind: 'missing' };

describe('bwrapArgs', () => {
  const spec = {
    readDirs: ['/usr/lib/python3.11', '/root/.pyenv/versions/3.11.7', '/root/.pyenv/versions/3.11.7/lib/python3.11/site-packages'],
    serverScript: '/repo/fork_server.py',
    serverAt: '/rho/fork_server.py',
    tmpBytes: 1024,
    root: true,
    env: { PATH: '/usr/bin', HOME: '/tmp' },
    command: ['/usr/bin/python3', '-I', '/rho/fork_server.py', '{}'],
  };
  const args = bwrapArgs(spec, inspect);
  const joined = args.join(' ');

  it('mirrors system dirs read-only and symlinks as symlinks, and binds only what python needs', () => {
    expect(joined).toContain('--ro-bind /usr /usr');
    expect(joined).toContain('--symlink usr/bin /bin');
    expect(joined).toContain('--ro-bind /etc/localtime /etc/localtime');
    expect(joined).toContain('--ro-bind /root/.pyenv/versions/3.11.7 /root/.pyenv/versions/3.11.7');
    // covered by /usr and by the pyenv prefix: not bound twice
    expect(joined).not.toContain('--ro-bind /usr/lib/python3.11');
    expect(joined).not.toContain('site-packages');
    expect(joined).toContain('--ro-bind /repo/fork_server.py /rho/fork_server.py');
  });

  it('makes the parents of binds searchable for the program uid, shallow first', () => {
    const dirs = args.flatMap((a, i) => (a === '--dir' ? [args[i + 1]] : []));
    expect(dirs).toEqual(['/rho', '/root', '/root/.pyenv', '/root/.pyenv/versions']);
    expect(args[args.indexOf('/root') - 2]).toBe('0755');
  });

  it('unshares pid, net, ipc and uts, runs the server as pid 1 with a cleared env and a sized /tmp', () => {
    for (const f of ['--unshare-pid', '--unshare-net', '--unshare-ipc', '--unshare-uts', '--die-with-parent', '--new-session', '--as-pid-1', '--clearenv'])
      expect(args).toContain(f);
    expect(joined).toContain('--size 1024 --perms 1777 --tmpfs /tmp');
    // /tmp is mounted before the python binds, so a virtualenv under /tmp stays visible
    expect(args.indexOf('--tmpfs')).toBeLessThan(args.indexOf('/root/.pyenv/versions/3.11.7'));
    expect(joined).toContain('--setenv HOME /tmp');
    expect(args.slice(-5)).toEqual(['--', ...spec.command]);
    expect(args.filter((a) => a === '--cap-add')).toHaveLength(6);
    expect(bwrapArgs({ ...spec, root: false }, inspect)).not.toContain('--cap-add');
  });
});
