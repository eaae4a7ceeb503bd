"""ansible-doc is complete for every module of the collection, and each module's EXAMPLES is a
valid list of tasks: `ansible-playbook --syntax-check` accepts it as a play. (make installed
runs the examples of node_evidence, cri_pull and diagnose against a test node.)"""
import json
import os
import subprocess
import sys

import pytest
import yaml

BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'modules'))
                 if f.endswith('.py') and not f.startswith('_'))
# Filters, lookups, tests: none today; listed here so a new one is checked the same way.
OTHER_PLUGIN_TYPES = ('filter', 'lookup', 'test', 'callback', 'inventory', 'connection')


def _env():
    # The checkout, as the Makefile exposes it: .build/collections/ansible_collections/kubenode/pullfix.
    env = dict(os.environ)
    env.setdefault('ANSIBLE_COLLECTIONS_PATH', os.path.join(ROOT, '.build', 'collections'))
    return env


@pytest.fixture(scope='module')
def docs():
    names = ['kubenode.pullfix.' + m for m in MODULES]
    out = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', 'module'] + names,
                         check=True, capture_output=True, text=True, env=_env()).stdout
    return json.loads(out)


def test_every_module_is_found(docs):
    assert MODULES and sorted(docs) == ['kubenode.pullfix.' + m for m in MODULES]


@pytest.mark.parametrize('module', MODULES)
def test_documentation_is_complete(docs, module):
    doc = docs['kubenode.pullfix.' + module]
    assert doc['doc']['short_description'] and doc['doc']['description']
    assert doc['doc'].get('version_added')
    assert doc['doc'].get('author')
    for name, option in (doc['doc'].get('options') or {}).items():
        assert option.get('description'), '%s: option %s has no description' % (module, name)
        assert option.get('type'), '%s: option %s has no type' % (module, name)
    assert doc['return'], '%s: no RETURN' % module
    assert doc['examples'] and doc['examples'].strip(), '%s: no EXAMPLES' % module


@pytest.mark.parametrize('module', MODULES)
def test_examples_pass_syntax_check(docs, module, tmp_path):
    tasks = yaml.safe_load(docs['kubenode.pullfix.' + module]['examples'])
    assert isinstance(tasks, list) and tasks
    uses = [t for t in tasks if 'kubenode.pullfix.' + module in t]
    assert uses, '%s: no example task calls the module by its FQCN' % module
    playbook = tmp_path / 'examples.yml'
    playbook.write_text(yaml.safe_dump([{'name': 'EXAMPLES of ' + module, 'hosts': 'all',
                                         'gather_facts': False, 'tasks': tasks}]))
    result = subprocess.run([os.path.join(BIN, 'ansible-playbook'), '--syntax-check', '-i', 'localhost,', str(playbook)],
                            capture_output=True, text=True, env=_env(), check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_no_undocumented_plugins():
    # Every plugin file of another type has its own documentation for ansible-doc.
    for plugin_type in OTHER_PLUGIN_TYPES:
        directory = os.path.join(ROOT, 'plugins', plugin_type)
        if not os.path.isdir(directory):
            continue
        for name in os.listdir(directory):
            if name.endswith('.py') and not name.startswith('_'):
                result = subprocess.run([os.path.join(BIN, 'ansible-doc'), '--json', '-t', plugin_type,
                                         'kubenode.pullfix.' + name[:-3]], capture_output=True, text=True, env=_env(),
                                        check=False)
                assert result.returncode == 0 and json.loads(result.stdout), name


def test_action_plugins_have_module_docs():
    # An action plugin is documented by the module of the same name.
    actions = {f[:-3] for f in os.listdir(os.path.join(ROOT, 'plugins', 'action')) if f.endswith('.py')}
    assert sorted(actions - set(MODULES)) == []
