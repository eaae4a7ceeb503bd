# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The end of a fix_pull run as its operator reads it, with the default callback and with
result_format=yaml: ansible-playbook runs the pipeline's report and fail tasks on a recorded
fleet (tests/unit/fixtures/console/fleet.json) on localhost, offline, and the console must
equal the golden file. PULLFIX_UPDATE_GOLDEN=1 rewrites the golden files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HERE = os.path.join(ROOT, 'tests', 'unit', 'fixtures', 'console')
PLAYBOOK_BIN = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')

# callback name -> (stdout callback, result_format)
FORMATS = {'default': ('ansible.builtin.default', 'json'), 'yaml': ('ansible.builtin.default', 'yaml'),
           'community-general-yaml': ('community.general.yaml', 'json')}


def empty_config(tmp_path):
    path = tmp_path / 'ansible.cfg'
    path.write_text('[defaults]\n')
    return str(path)


def run_play(tmp_path, result_format, *extra, callback='ansible.builtin.default'):
    if not os.path.exists(PLAYBOOK_BIN):
        pytest.skip('ansible-playbook is not next to this python')
    report_dir = str(tmp_path / 'report')
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_FORCE_COLOR='0', ANSIBLE_STDOUT_CALLBACK=callback,
               ANSIBLE_CALLBACK_RESULT_FORMAT=result_format, ANSIBLE_DEPRECATION_WARNINGS='0',
               ANSIBLE_LOCALHOST_WARNING='0', ANSIBLE_RETRY_FILES_ENABLED='0', ANSIBLE_CONFIG=empty_config(tmp_path),
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'), COLUMNS='120')
    env.pop('ANSIBLE_CALLBACKS_ENABLED', None)
    proc = subprocess.run([PLAYBOOK_BIN, '-f', '1', '-i', 'inventory.yml', 'play.yml', '-e', 'pullfix_report_dir=' + report_dir] + list(extra),
                          cwd=HERE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=120, check=False)
    return proc, report_dir


_RUNS = {}


def cached_run(tmp_path_factory, callback):
    """One ansible-playbook run per callback for the whole module (each costs seconds)."""
    if callback not in _RUNS:
        stdout_callback, result_format = FORMATS[callback]
        if stdout_callback.startswith('community.general.'):
            pytest.importorskip('ansible_collections.community.general')
        _RUNS[callback] = run_play(tmp_path_factory.mktemp(callback), result_format, callback=stdout_callback)
    return _RUNS[callback]


def normalize(text, report_dir):
    text = text.replace(report_dir, '<report_dir>')
    # ansible-core names the failed task's file by its path in the collection (a symlink here)
    return re.sub(r'Origin: \S*/roles/', 'Origin: <collection>/roles/', text)


@pytest.mark.parametrize('callback', sorted(FORMATS))
def test_console_matches_golden_file(tmp_path_factory, callback):
    proc, report_dir = cached_run(tmp_path_factory, callback)
    out = normalize(proc.stdout, report_dir)
    golden = os.path.join(HERE, 'expected-%s.txt' % callback)
    if os.environ.get('PULLFIX_UPDATE_GOLDEN'):
        with open(golden, 'w') as f:
            f.write(out)
    with open(golden) as f:
        assert out == f.read()
    # node-b (rolled back), node-c (a failed pull) and node-e (an error left in the file its
    # remediation changed) fail; node-a has two errors left for a person, node-c one in a file
    # nobody declared: they do not fail for those. ansible-playbook exits 2 (a host failed).
    assert proc.returncode == 2
    assert 'node-a                     : ok=2    changed=0    unreachable=0    failed=0' in out
    assert sorted(os.listdir(report_dir)) == ['junit.xml', 'node-a.json', 'node-b.json', 'node-c.json', 'node-d.json',
                                              'node-e.json', 'summary.md']
    assert 'node-e: still open after its remediation changed the file: containerd-config-path-unset' in out
    assert 'node-c: verification pull failed: quay.io/org/c:1 (unauthorized)\n' in out or callback == 'default'


def test_console_reads_in_order_and_fails_once_per_host(tmp_path_factory):
    proc, report_dir = cached_run(tmp_path_factory, 'yaml')
    out = proc.stdout
    order = ['host   | runtime', 'Open errors (6):', 'Changed (backups', 'Failing (pullfix_fail_on: responsible):',
             'Full reports: %s/' % report_dir]
    at = [out.index(marker) for marker in order]
    assert at == sorted(at)
    # a real table: one line per host, not one escaped string
    assert '\\n' not in out
    assert re.search(r'^\s+node-a \| containerd \| 1\.7\.24  \| 2      \| 1        \| 3 root causes, 0 symptoms \| 3 ', out, re.M)
    # the first evidence (file:line) and a next step under every open error
    assert 'at:   /var/lib/kubelet/kubeadm-flags.env:1 ' in out and 'next: left for a person because' in out
    assert 'next: create /etc/cri/extra.toml' in out  # a finding's own next_step wins
    # a credential in a query string is never shown
    assert 's3cr3t' not in out and 'hunter2' not in out
    for host in ('node-b', 'node-c', 'node-e'):
        assert len([line for line in out.splitlines() if line.startswith('fatal: [%s]' % host)]) == 1
        # one line, no blank start: what failed, where to look
        error = [line for line in out.splitlines() if line.startswith('[ERROR]: Task failed: Action failed: %s: ' % host)]
        assert len(error) == 1 and error[0].endswith('full report: %s/summary.md' % report_dir)
    assert 'node-b: its change was rolled back. Why and what next' in out
    assert 'fatal: [node-a]' not in out
    assert 'assertion' not in out and 'evaluated_to' not in out


def test_fail_on_error(tmp_path):
    error, _dir = run_play(tmp_path, 'json', '-e', 'pullfix_fail_on=error')
    assert error.returncode == 2
    assert 'fatal: [node-a]' in error.stdout
    assert 'open errors (pullfix_fail_on: error): containerd-import-missing, kubelet-config-unparsable' in error.stdout


def test_fail_on_never_and_reports_in_pullfix_report_of_the_working_directory(tmp_path):
    if not os.path.exists(PLAYBOOK_BIN):
        pytest.skip('ansible-playbook is not next to this python')
    work = tmp_path / 'work'
    shutil.copytree(HERE, str(work))
    env = dict(os.environ, ANSIBLE_NOCOLOR='1', ANSIBLE_CONFIG=empty_config(tmp_path), ANSIBLE_LOCALHOST_WARNING='0',
               ANSIBLE_LOCAL_TEMP=str(tmp_path / 'tmp'))
    proc = subprocess.run([PLAYBOOK_BIN, '-i', 'inventory.yml', 'play.yml', '-e', 'pullfix_fail_on=never'], cwd=str(work), env=env,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True, timeout=120, check=False)
    assert proc.returncode == 0 and 'fatal:' not in proc.stdout, proc.stdout[-2000:]
    assert 'No host fails (pullfix_fail_on: never).' in proc.stdout
    with open(str(work / 'pullfix-report' / 'node-a.json')) as f:
        assert json.load(f)['host'] == 'node-a'
    assert 'Full reports: %s/' % (work / 'pullfix-report') in proc.stdout
