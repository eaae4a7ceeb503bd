# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What the docs name exists: every pullfix_* setting named in README.md and docs/ is defined in
some role's meta/argument_specs.yml or defaults/main.yml, and every ansible-playbook command in
their code blocks passes --syntax-check."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import glob
import os
import re
import shlex
import subprocess
import sys

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DOCS = sorted(set([os.path.join(ROOT, 'README.md')] + glob.glob(os.path.join(ROOT, 'docs', '**', '*.md'), recursive=True)))
NAME_RE = re.compile(r'(?<![\w])pullfix_[a-z0-9_]*[a-z0-9](?:_?(\*))?')
FENCE_RE = re.compile(r'^```[^\n]*\n(.*?)^```', re.M | re.S)


def known_settings():
    known = set()
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'meta', 'argument_specs.yml')):
        with open(path) as f:
            for spec in ((yaml.safe_load(f) or {}).get('argument_specs') or {}).values():
                known.update((spec.get('options') or {}).keys())
    for path in glob.glob(os.path.join(ROOT, 'roles', '*', 'defaults', 'main.yml')):
        with open(path) as f:
            known.update((yaml.safe_load(f) or {}).keys())
    return known


def rel(path):
    return os.path.relpath(path, ROOT)


@pytest.mark.parametrize('doc', DOCS, ids=rel)
def test_every_setting_named_in_the_docs_exists(doc):
    known = known_settings()
    with open(doc) as f:
        text = f.read()
    missing = set()
    for m in NAME_RE.finditer(text):
        name = m.group(0).rstrip('*')
        if m.group(1):  # pullfix_socket_* names a family
            if not any(k.startswith(name) for k in known):
                missing.add(m.group(0))
        elif name not in known:
            missing.add(name)
    assert sorted(missing) == []


def test_the_new_setting_is_known():
    # The check above would pass on an empty page: it must see what a page names.
    assert {'pullfix_fail_on', 'pullfix_report_dir', 'pullfix_serial'} <= known_settings()


def doc_commands():
    found = []
    for doc in DOCS:
        with open(doc) as f:
            text = f.read()
        for block in FENCE_RE.findall(text):
            for line in block.splitlines():
                line = line.strip()
                if line.startswith('$ '):
                    line = line[2:]
                if not line.startswith('ansible-playbook '):
                    continue
                line = re.sub(r'\s+#.*$', '', line)      # a trailing comment
                line = re.sub(r'\s*\[[^\]]*\]', '', line)  # [optional arguments]
                found.append((rel(doc), line))
    return found


def syntax_argv(command):
    argv = shlex.split(command)[1:]
    out = []
    skip = False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == '-i':
            out += ['-i', 'localhost,']
            skip = True
        elif arg == '-e' and i + 1 < len(argv) and argv[i + 1].startswith('@'):
            skip = True  # a vars file of the reader's
        else:
            out.append(arg)
    return out + ['--syntax-check']


WITH_VALUE = ('-i', '-e', '--extra-vars', '-t', '--tags', '--skip-tags', '-l', '--limit')


def test_the_docs_show_commands():
    commands = doc_commands()
    assert len(commands) >= 5
    assert {c.split()[1] for _doc, c in commands} >= {'kubenode.pullfix.fix_pull', 'kubenode.pullfix.diagnose',
                                                      'kubenode.pullfix.explain', 'playbooks/diagnose.yml'}


def test_every_command_in_the_docs_passes_syntax_check():
    # One ansible-playbook start for all of them (each start costs seconds): every playbook the
    # docs name, with every option they pass, checked together; a failure names the commands.
    binary = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if not os.path.exists(binary):
        pytest.skip('ansible-playbook is not next to this python')
    commands = doc_commands()
    playbooks, chunks = [], []
    for _doc, command in commands:
        argv = syntax_argv(command)[:-1]
        playbooks.append(argv[0])
        rest, at = argv[1:], 0
        while at < len(rest):
            chunk = rest[at:at + 2] if rest[at] in WITH_VALUE else rest[at:at + 1]
            if chunk not in chunks:
                chunks.append(chunk)
            at += len(chunk)
    options = [arg for chunk in chunks for arg in chunk]  # every -i is the same: localhost,
    argv = [binary] + sorted(set(playbooks), key=playbooks.index) + options + ['--syntax-check']
    proc = subprocess.run(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, universal_newlines=True,
                          timeout=120, check=False)
    assert proc.returncode == 0, '%s\n%s\n%s' % ('\n'.join('%s: %s' % c for c in commands), argv, proc.stdout[-2000:])
    for playbook in set(playbooks):
        assert 'playbook: %s' % playbook in proc.stdout or playbook.startswith('kubenode.'), proc.stdout
