"""fix_pull.yml has a tag per remediation role of the settings schema, and its selection list says the same."""
import os

import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import ROLES
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.settings_schema import REMEDIATION_ROLES

PLAYBOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'playbooks', 'fix_pull.yml')
TAGS = [role['tag'] for role in REMEDIATION_ROLES]


def _play():
    with open(PLAYBOOK) as f:
        return yaml.safe_load(f)[0]


def test_every_remediation_role_has_its_tag():
    play = _play()
    remediate = [t for t in play['tasks'] if (t.get('ansible.builtin.import_role') or {}).get('tasks_from') == 'remediate']
    assert len(remediate) == 1
    assert sorted(set(remediate[0]['tags']) - {'remediate'}) == sorted(TAGS)
    assert play['vars']['__pullfix_role_tags'] == TAGS


def test_the_planners_are_the_schema_roles():
    assert list(ROLES) == [role['name'] for role in REMEDIATION_ROLES]
    # The selection maps a tag to a role by name: they must be the same word.
    assert TAGS == list(ROLES)
