"""fix_pull.yml has a tag per remediation role the pipeline knows, and its selection list says the same."""
import os

import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import ROLES

PLAYBOOK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                        'playbooks', 'fix_pull.yml')


def test_every_remediation_role_has_its_tag():
    with open(PLAYBOOK) as f:
        play = yaml.safe_load(f)[0]
    remediate = [t for t in play['tasks'] if (t.get('ansible.builtin.import_role') or {}).get('tasks_from') == 'remediate']
    assert len(remediate) == 1
    assert sorted(set(remediate[0]['tags']) - {'remediate'}) == sorted(ROLES)
    assert sorted(play['vars']['__pullfix_role_tags']) == sorted(ROLES)
