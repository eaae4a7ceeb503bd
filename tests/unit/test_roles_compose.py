# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""The roles compose in a user's play (molecule/compose proves it live; these keep the shape).

- no role runs meta: flush_handlers (it would run the caller's handlers mid-play);
- every remediation role is the one shared include, called with its own name;
- the restart after a change replaces both pullfix_evidence and pullfix_diagnosis.
"""

import os

import pytest
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(ROOT, 'roles')
REMEDIATION_ROLES = ('containerd_registry', 'registries_conf', 'runtime_socket', 'cri_shim', 'proxy_env')


def load(*parts):
    with open(os.path.join(ROLES, *parts)) as f:
        return yaml.safe_load(f) or []


def walk(tasks):
    """Every task, blocks opened."""
    for task in tasks:
        yield task
        for key in ('block', 'rescue', 'always'):
            yield from walk(task.get(key) or [])


def task_files():
    for role in sorted(os.listdir(ROLES)):
        for sub in ('tasks', 'handlers'):
            folder = os.path.join(ROLES, role, sub)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
                if name.endswith('.yml'):
                    yield role, sub, name


@pytest.mark.parametrize('role, sub, name', list(task_files()))
def test_no_role_flushes_the_callers_handlers(role, sub, name):
    for task in walk(load(role, sub, name)):
        assert task.get('ansible.builtin.meta', task.get('meta')) != 'flush_handlers', (role, sub, name, task.get('name'))


@pytest.mark.parametrize('role', REMEDIATION_ROLES)
def test_remediation_role_is_the_shared_include_with_its_name(role):
    tasks = load(role, 'tasks', 'main.yml')
    assert len(tasks) == 1, 'one task: the shared include, no copy of its steps'
    task = tasks[0]
    assert task['ansible.builtin.import_role'] == {'name': 'kubenode.pullfix.pipeline', 'tasks_from': 'remediation'}
    assert task['vars'] == {'__pullfix_remediations': [role]}


def test_node_runtime_configures_through_the_shared_include_and_gathers_afresh():
    calls = [t for t in load('node_runtime', 'tasks', 'main.yml')
             if (t.get('ansible.builtin.import_role') or {}).get('tasks_from') == 'remediation']
    assert len(calls) == 1
    assert calls[0]['vars']['__pullfix_gather'] is True
    assert calls[0]['vars']['__pullfix_remediations'] == ['containerd_registry', 'runtime_socket', 'node_runtime']


def test_shared_include_restarts_in_place_and_notifies_nothing():
    tasks = load('pipeline', 'tasks', 'remediation.yml')
    imported = [t for t in tasks if t.get('ansible.builtin.import_tasks') == 'remediate.yml']
    assert imported and imported[0]['vars']['__pullfix_notify'] == []
    restart = [t for t in tasks if t.get('ansible.builtin.include_tasks') == 'restart.yml']
    assert restart and restart[0]['when'] == 'pullfix_remediation is changed'
    # remediate.yml takes its notification from __pullfix_notify; fix_pull.yml keeps the handler.
    remediate = load('pipeline', 'tasks', 'remediate.yml')[0]
    assert remediate['notify'] == "{{ __pullfix_notify | default(['pullfix changed']) }}"
    handlers = load('pipeline', 'handlers', 'main.yml')
    assert [(h.get('listen'), h.get('ansible.builtin.include_tasks')) for h in handlers] == [('pullfix changed', 'restart.yml')]


def test_shared_include_reports_a_call_without_remediation():
    first = load('pipeline', 'tasks', 'remediation.yml')[0]
    assert 'ansible.builtin.assert' in first
    assert '__pullfix_remediations is defined' in first['ansible.builtin.assert']['that']
    assert 'needs __pullfix_remediations' in first['ansible.builtin.assert']['fail_msg']


def test_restart_refreshes_evidence_and_diagnosis():
    registered = [t.get('register') for t in load('pipeline', 'tasks', 'restart.yml')]
    gathered = registered.index('pullfix_evidence')
    assert registered.index('pullfix_diagnosis') > gathered
    kept = [t for t in load('pipeline', 'tasks', 'restart.yml') if 'ansible.builtin.set_fact' in t]
    assert set(kept[0]['ansible.builtin.set_fact']) == {'pullfix_evidence', 'pullfix_diagnosis'}


@pytest.mark.parametrize('role', sorted(os.listdir(ROLES)))
def test_every_role_has_a_readme_with_its_variables_and_an_example(role):
    with open(os.path.join(ROLES, role, 'README.md')) as f:
        text = f.read()
    assert text.startswith('# kubenode.pullfix.%s' % role)
    # The options are documented once, in the argument spec: pointed to, never copied.
    assert '(meta/argument_specs.yml)' in text and 'ansible-doc -t role kubenode.pullfix.%s' % role in text
    assert '| pullfix_' not in text, 'an option table copied by hand'
    examples = [block.split('```', 1)[0] for block in text.split('```yaml\n')[1:]]
    assert examples, 'no example playbook'
    for example in examples:
        yaml.safe_load(example)
    if role != 'pipeline':
        assert any('kubenode.pullfix.%s' % role in example for example in examples)
