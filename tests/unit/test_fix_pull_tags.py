"""fix_pull.yml selects remediations by tag, one tag per remediation role of the settings schema:
--tags <role> plans only that role, --skip-tags <role> every role but that one (not none),
--skip-tags remediate none."""
import os
import subprocess
import sys

import pytest
import yaml

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import ROLES
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.settings_schema import REMEDIATION_ROLES

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLAYBOOK = os.path.join(ROOT, 'playbooks', 'fix_pull.yml')
PLAN_TASK = 'Gather, diagnose, fix and verify'
TAGS = [role['tag'] for role in REMEDIATION_ROLES]


def play():
    with open(PLAYBOOK) as f:
        return yaml.safe_load(f)[0]


def test_every_remediation_role_has_its_tag():
    p = play()
    fix = [t for t in p['tasks'] if (t.get('ansible.builtin.import_role') or {}).get('tasks_from') == 'fix']
    assert len(fix) == 1
    # A task is skipped when any of its tags is skipped: the planning task carries none of the role tags.
    assert fix[0]['tags'] == ['always']
    assert p['vars']['__pullfix_role_tags'] == TAGS


def test_the_planners_are_the_schema_roles():
    assert list(ROLES) == [role['name'] for role in REMEDIATION_ROLES]
    # The selection maps a tag to a role by name: they must be the same word.
    assert TAGS == list(ROLES)


@pytest.mark.parametrize('run,skip,roles', [
    (['all'], [], sorted(ROLES)),
    (['all'], ['proxy_env'], sorted(set(ROLES) - {'proxy_env'})),
    (['containerd_registry'], [], ['containerd_registry']),
    (['containerd_registry', 'cri_shim'], ['cri_shim'], ['containerd_registry']),
    (['remediate'], ['runtime_socket'], sorted(set(ROLES) - {'runtime_socket'})),
    (['all'], ['remediate'], []),
])
def test_selected_roles(run, skip, roles):
    from ansible.parsing.dataloader import DataLoader
    from ansible.template import Templar
    try:
        from ansible.template import trust_as_template
    except ImportError:  # ansible-core < 2.19 templates plain strings
        def trust_as_template(value):
            return value
    variables = dict(play()['vars'], ansible_run_tags=run, ansible_skip_tags=skip)
    templar = Templar(loader=DataLoader(), variables=variables)
    assert sorted(templar.template(trust_as_template(variables['__pullfix_only_roles']))) == roles


def list_tasks(*args):
    binary = os.path.join(os.path.dirname(sys.executable), 'ansible-playbook')
    if not os.path.exists(binary):
        pytest.skip('ansible-playbook is not next to this python')
    out = subprocess.run([binary, PLAYBOOK, '--list-tasks', '-i', 'localhost,', '-e', 'pullfix_hosts=all'] + list(args), stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, universal_newlines=True, timeout=120, check=False)
    assert out.returncode == 0, out.stdout
    return out.stdout


def test_skipping_one_role_keeps_the_planning_task():
    # 0.4.0 tagged the planning task with every role: --skip-tags proxy_env skipped all of them.
    assert PLAN_TASK in list_tasks('--skip-tags', 'proxy_env')
    assert PLAN_TASK in list_tasks('--tags', 'containerd_registry')
