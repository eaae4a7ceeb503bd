"""Every role's meta/argument_specs.yml agrees with the defaults the role really runs with.

A role gets its defaults from its own defaults/main.yml and, when its tasks import the internal
kubenode.pullfix.pipeline role, from the pipeline's defaults/main.yml. Both files and the specs are
generated from plugins/plugin_utils/pullfix/settings_schema.py (test_settings_schema.py holds them
fresh); this test reads the files as Ansible does. ansible-doc and the argument validation show the
spec; the play runs with the defaults: the two must not disagree."""
import os
import re

import pytest
import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import settings_schema

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ROLES = os.path.join(ROOT, 'roles')
SHARED = 'pipeline'
TYPES = {'str': str, 'bool': bool, 'int': int, 'float': (int, float), 'list': list, 'dict': dict,
         'path': str, 'raw': object}


def _load(role, *parts):
    path = os.path.join(ROLES, role, *parts)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        return yaml.safe_load(f) or {}


def _imports_shared(role):
    pattern = re.compile(r'name:\s*kubenode\.pullfix\.%s\b' % SHARED)
    for dirpath, dummy, filenames in os.walk(os.path.join(ROLES, role, 'tasks')):
        for name in filenames:
            with open(os.path.join(dirpath, name)) as f:
                if pattern.search(f.read()):
                    return True
    return False


def _effective_defaults(role):
    defaults = {}
    if role != SHARED and _imports_shared(role):
        defaults.update(_load(SHARED, 'defaults', 'main.yml') or {})
    defaults.update(_load(role, 'defaults', 'main.yml') or {})
    return defaults


def _options(role):
    specs = (_load(role, 'meta', 'argument_specs.yml') or {}).get('argument_specs', {})
    for entry, spec in specs.items():
        for name, option in (spec.get('options') or {}).items():
            yield entry, name, option


SPEC_ROLES = sorted(r for r in os.listdir(ROLES) if os.path.exists(os.path.join(ROLES, r, 'meta', 'argument_specs.yml')))


def test_every_role_has_an_argument_spec():
    assert SPEC_ROLES == sorted(os.listdir(ROLES))


def test_the_shared_defaults_reach_the_public_roles():
    # Guard for the rule above: were no role to import the pipeline, its defaults would reach nobody.
    assert [r for r in SPEC_ROLES if r != SHARED and _imports_shared(r)]


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_every_option_has_its_default_in_defaults(role):
    defaults = _effective_defaults(role)
    wrong = []
    for entry, name, option in _options(role):
        if 'type' not in option:
            wrong.append('%s %s: no type' % (entry, name))
            continue
        expected = option.get('default')
        if option.get('required') and 'default' not in option:
            # The user must choose (node_runtime's pullfix_runtime). The pipeline's defaults reach the
            # role's argument validation (a static import makes them visible play-wide), so any default
            # there would stand in for the choice: "got: auto" instead of "missing required arguments".
            if name in defaults:
                wrong.append('%s %s: required, but an inherited default %r reaches the validation first'
                             % (entry, name, defaults[name]))
            continue
        if name not in defaults and settings_schema.defaults_in(settings_schema.setting(name)) is None:
            # No role default may hold it (a play keyword, a playbook argument, a required choice): the
            # playbook or the settings map that reads it carries the default; test_settings_schema holds that.
            continue
        if 'default' in option and name not in defaults:
            wrong.append('%s %s: default %r in the spec, none in defaults/main.yml' % (entry, name, expected))
        elif name in defaults and defaults[name] != expected:
            wrong.append('%s %s: spec default %r, defaults/main.yml %r' % (entry, name, expected, defaults[name]))
        elif name not in defaults:
            wrong.append('%s %s: not defined in defaults/main.yml' % (entry, name))
    assert wrong == []


@pytest.mark.parametrize('role', SPEC_ROLES)
def test_every_default_is_an_option_of_the_same_type(role):
    # The role's own defaults: the pipeline documents all of its settings, the others their own ones.
    own = _load(role, 'defaults', 'main.yml') or {}
    options = {name: option for entry, name, option in _options(role) if entry == 'main'}
    wrong = []
    for name, value in own.items():
        option = options.get(name)
        if option is None:
            wrong.append('%s: in defaults/main.yml, not in the main argument spec' % name)
        elif value is not None and not isinstance(value, TYPES[option.get('type', 'str')]):
            wrong.append('%s: default %r is not of type %s' % (name, value, option.get('type', 'str')))
        elif isinstance(value, bool) and option.get('type') == 'int':
            wrong.append('%s: default %r is a bool, the spec says int' % (name, value))
        elif option.get('choices') and value is not None and value not in option['choices']:
            wrong.append('%s: default %r is not one of %s' % (name, value, option['choices']))
    assert wrong == []
