"""What each node module ships per call: AnsiballZ packs every module_utils file a module imports
(transitively), so the gathering module, called once per host in every run, imports only what
the gathering uses (the apply code is not among it)."""
import os
import re

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IMPORT_RE = re.compile(r'^\s*from ansible_collections\.kubenode\.pullfix\.plugins\.module_utils\.(\w+) import', re.M)


def shipped(module):
    """The collection's module_utils files packed with ``module`` (plugins/modules/<module>.py)."""
    seen, todo = set(), [os.path.join(ROOT, 'plugins', 'modules', module + '.py')]
    while todo:
        with open(todo.pop()) as f:
            for name in IMPORT_RE.findall(f.read()):
                if name not in seen:
                    seen.add(name)
                    todo.append(os.path.join(ROOT, 'plugins', 'module_utils', name + '.py'))
    return seen


def test_the_gathering_does_not_ship_the_apply_code():
    assert '_apply' not in shipped('node_evidence')
    assert shipped('node_evidence') == {'_evidence', '_cri', '_hpack', '_runtime_view', '_restart_record'}


def test_apply_and_gather_read_one_restart_record():
    from ansible_collections.kubenode.pullfix.plugins.module_utils import _apply, _evidence, _restart_record
    assert _apply.PENDING_RESTART is _restart_record.PENDING_RESTART is _evidence.PENDING_RESTART
    assert '_restart_record' in shipped('apply_changes')


@pytest.mark.parametrize('module', ['node_evidence', 'cri_pull', 'apply_changes'])
def test_every_shipped_file_exists(module):
    for name in shipped(module):
        assert os.path.exists(os.path.join(ROOT, 'plugins', 'module_utils', name + '.py')), name
