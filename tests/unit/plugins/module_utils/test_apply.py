# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests for the node-side apply step, on real files under a temp dir."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib
import os
import stat

import pytest

from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import apply_changes, restore


def sha(text):
    return hashlib.sha256(text.encode('utf-8')).hexdigest()


def write(path, text, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        f.write(text)
    os.chmod(path, mode)


def read(path):
    with open(path) as f:
        return f.read()


def snapshot(root):
    """Every path under root with its type, mode and bytes: the node as a test sees it."""
    out = {}
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(base, name)
            st = os.lstat(p)
            data = open(p, 'rb').read() if stat.S_ISREG(st.st_mode) else os.readlink(p) if stat.S_ISLNK(st.st_mode) else None
            out[os.path.relpath(p, root)] = (stat.S_IFMT(st.st_mode), stat.S_IMODE(st.st_mode), data)
    return out


def change(path, action='update', content='new\n', expect=None, **kw):
    c = {'path': str(path), 'action': action, 'content': content if action != 'remove' else None, 'mode': None,
         'validate': None, 'restart': None, 'expect': expect, 'secret': False, 'remove_empty_parent': False,
         'reason': 'test', 'role': 'test'}
    c.update(kw)
    return c


def ok_runner(argv):
    return 0, ''


def test_create_update_remove_with_backups(tmp_path):
    a, b, c = tmp_path / 'etc/a.toml', tmp_path / 'etc/new/deep/b.toml', tmp_path / 'etc/c.toml'
    write(str(a), 'old\n', 0o600)
    write(str(c), 'gone\n')
    result = apply_changes([change(a, expect=sha('old\n'), restart='containerd'),
                            change(b, 'create', 'b\n', mode='0644'),
                            change(c, 'remove', expect=sha('gone\n'))])
    assert result['errors'] == []
    assert [(r['path'], r['action']) for r in result['changes']] == [(str(a), 'updated'), (str(b), 'created'),
                                                                     (str(c), 'removed')]
    assert result['restart'] == ['containerd']
    assert read(str(a)) == 'new\n' and stat.S_IMODE(os.stat(str(a)).st_mode) == 0o600   # mode kept
    assert read(str(b)) == 'b\n' and stat.S_IMODE(os.stat(str(b)).st_mode) == 0o644
    assert not c.exists()
    backups = dict((r['path'], r['backup']) for r in result['changes'])
    assert read(backups[str(a)]) == 'old\n' and stat.S_IMODE(os.stat(backups[str(a)]).st_mode) == 0o600
    # Backups are owner-only whatever the file was: they may hold credentials the new file moved.
    assert stat.S_IMODE(os.stat(backups[str(c)]).st_mode) == 0o600
    assert read(backups[str(c)]) == 'gone\n' and backups[str(b)] is None
    # No temporary file is left anywhere.
    assert not [p for p in snapshot(str(tmp_path)) if '.pullfix-' in p]


def test_second_run_changes_nothing(tmp_path):
    a = tmp_path / 'a'
    write(str(a), 'old\n')
    apply_changes([change(a, expect=sha('old\n'))])
    before = snapshot(str(tmp_path))
    result = apply_changes([change(a, expect=sha('new\n'))])
    assert result == {'changed': False, 'changes': [], 'restart': [], 'errors': []}
    assert snapshot(str(tmp_path)) == before


def test_check_mode_writes_nothing_and_predicts(tmp_path):
    a = tmp_path / 'a'
    write(str(a), 'old\n')
    before = snapshot(str(tmp_path))
    result = apply_changes([change(a, expect=sha('old\n')), change(tmp_path / 'x/y/new', 'create')],
                           check_mode=True, diff=True)
    assert [(r['action'], r['diff']['before'], r['diff']['after']) for r in result['changes']] == [
        ('updated', 'old\n', 'new\n'), ('created', '', 'new\n')]
    assert snapshot(str(tmp_path)) == before


def test_validation_failure_writes_nothing_at_all(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'dir/b'
    write(str(a), 'old\n')
    before = snapshot(str(tmp_path))
    seen = []

    def runner(argv):
        seen.append(argv)
        return (1, 'invalid: %s line 3' % argv[-1]) if 'bad' in open(argv[-1]).read() else (0, '')
    result = apply_changes([change(a, expect=sha('old\n'), validate=['check', '%s']),
                            change(b, 'create', 'bad\n', validate=['check', '%s'])], runner=runner)
    assert result['changed'] is False and result['changes'] == []
    assert result['errors'] == ['%s: the new content fails validation (check exited 1): invalid: %s (candidate) line 3'
                                % (b, b)]
    assert snapshot(str(tmp_path)) == before          # the new directory is gone again too
    assert len(seen) == 2 and all('.pullfix-' in argv[-1] for argv in seen)


def test_file_changed_since_gathering_is_not_replaced(tmp_path):
    a = tmp_path / 'a'
    write(str(a), 'edited by someone meanwhile\n')
    result = apply_changes([change(a, expect=sha('old\n'))])
    assert result['errors'] == ['%s: changed since it was gathered; not replaced (run again)' % a]
    assert read(str(a)) == 'edited by someone meanwhile\n'


def test_symlink_is_written_through(tmp_path):
    target = tmp_path / 'real/config.toml'
    link = tmp_path / 'etc/config.toml'
    write(str(target), 'old\n')
    os.makedirs(str(link.parent))
    os.symlink(str(target), str(link))
    result = apply_changes([change(link, expect=sha('old\n'))])
    assert result['changes'][0]['target'] == str(target)
    assert os.path.islink(str(link)) and read(str(target)) == 'new\n'


@pytest.mark.parametrize('kind', ['fifo', 'dir'])
def test_non_regular_file_is_refused(tmp_path, kind):
    p = tmp_path / 'config.toml'
    if kind == 'fifo':
        os.mkfifo(str(p))
    else:
        os.mkdir(str(p))
    result = apply_changes([change(p, expect=sha('x'))])
    assert result['errors'] == ['%s: is a %s, not a regular file; not replaced' % (p, 'FIFO' if kind == 'fifo' else 'directory')]


def test_parent_that_is_a_file_is_refused(tmp_path):
    write(str(tmp_path / 'certs.d'), 'a file where a directory belongs\n')
    before = snapshot(str(tmp_path))
    result = apply_changes([change(tmp_path / 'certs.d/docker.io/hosts.toml', 'create')])
    assert result['errors'] and snapshot(str(tmp_path)) == before


def test_stale_temp_of_an_interrupted_run_is_removed(tmp_path):
    a = tmp_path / 'a'
    write(str(a), 'old\n')
    write(str(tmp_path / '.a.pullfix-abc123'), 'half written')
    apply_changes([change(a, expect=sha('old\n'))])
    assert sorted(os.listdir(str(tmp_path))) == ['a', os.path.basename(
        [p for p in os.listdir(str(tmp_path)) if p.endswith('.pullfix~')][0])]


def test_restore_puts_everything_back(tmp_path):
    a, b = tmp_path / 'a', tmp_path / 'b'
    write(str(a), 'old\n', 0o644)
    before = snapshot(str(tmp_path))
    result = apply_changes([change(a, expect=sha('old\n')), change(b, 'create')])
    back = restore(result['changes'])
    assert back['errors'] == [] and back['restored'] == [str(a), str(b)]
    after = snapshot(str(tmp_path))
    assert dict((k, v) for k, v in after.items() if not k.endswith('.pullfix~')) == before


def test_bad_records_are_refused_before_anything(tmp_path):
    result = apply_changes([change('relative/path'), change(str(tmp_path) + '/../x'),
                            change(tmp_path / 'm', mode='rwx')])
    assert len(result['errors']) == 3 and not os.listdir(str(tmp_path))


def test_secret_content_never_in_diff(tmp_path):
    result = apply_changes([change(tmp_path / 'h', 'create', 'Authorization = "Basic c2VjcmV0"\n', secret=True,
                                   mode='0600')], check_mode=True, diff=True)
    assert 'c2VjcmV0' not in repr(result)


# ---------------------------------------------------------------- restarts owed across a stopped run
def test_restart_owed_is_recorded_before_the_files_are_renamed(tmp_path, monkeypatch):
    from ansible_collections.kubenode.pullfix.plugins.module_utils import _apply
    cfg, pending = str(tmp_path / 'config.toml'), str(tmp_path / 'state' / 'restart-pending')
    write(cfg, 'old\n')
    seen = []
    real_rename = os.rename

    def rename(src, dst):
        # what a run killed right after this rename would leave behind
        if dst == cfg:
            seen.append(_apply.read_pending(pending))
        return real_rename(src, dst)
    monkeypatch.setattr(_apply.os, 'rename', rename)
    result = apply_changes([change(cfg, expect=sha('old\n'), restart='containerd')], runner=ok_runner, pending=pending)
    assert result['errors'] == [] and read(cfg) == 'new\n'
    assert seen == [['containerd']]
    assert stat.S_IMODE(os.stat(pending).st_mode) == 0o600
    # a second plan adds its keys to what is still owed
    apply_changes([change(str(tmp_path / 'hosts.toml'), action='create', content='x\n', restart=['systemd', 'k3s'])],
                  runner=ok_runner, pending=pending)
    assert _apply.read_pending(pending) == ['containerd', 'k3s', 'systemd']
    _apply.clear_pending(pending)
    assert not os.path.exists(pending)


def test_nothing_owed_when_nothing_changes_or_nothing_needs_a_restart(tmp_path):
    from ansible_collections.kubenode.pullfix.plugins.module_utils import _apply
    cfg, pending = str(tmp_path / 'config.toml'), str(tmp_path / 'restart-pending')
    write(cfg, 'new\n')
    apply_changes([change(cfg, expect=sha('new\n'), restart='containerd')], runner=ok_runner, pending=pending)
    apply_changes([change(str(tmp_path / 'crictl.yaml'), action='create', content='x\n')], runner=ok_runner, pending=pending)
    apply_changes([change(str(tmp_path / 'other'), action='create', content='x\n', restart='containerd')],
                  check_mode=True, runner=ok_runner, pending=pending)
    assert not os.path.exists(pending)


def test_pending_record_ignores_what_is_no_key():
    from ansible_collections.kubenode.pullfix.plugins.module_utils._apply import parse_pending
    assert parse_pending('containerd\n\nreload:crio\n$(reboot)\nk3s-agent.service\n') == \
        ['containerd', 'k3s-agent.service', 'reload:crio']
