"""The doctor makes the verification pulls the user names in pullfix_verify_images: they are the
proof that the node can pull (docs: roles/doctor/README.md), and the only thing it may write is
the runtime's image store."""
import os

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def load(*path):
    with open(os.path.join(ROOT, *path)) as f:
        return yaml.safe_load(f)


def test_the_doctor_gathers_with_the_verification_pulls():
    tasks = load('roles', 'doctor', 'tasks', 'main.yml')
    gathers = [t for t in tasks if (t.get('ansible.builtin.import_role') or {}).get('tasks_from') == 'gather']
    assert len(gathers) == 1
    assert gathers[0]['vars']['__pullfix_verify'] is True


def test_gather_pulls_only_when_asked():
    gather = load('roles', 'pipeline', 'tasks', 'gather.yml')
    node_calls = [t for t in gather if 'kubenode.pullfix.node_evidence' in t]
    assert node_calls
    for task in node_calls:
        assert "pullfix_verify_images if __pullfix_verify" in task['kubenode.pullfix.node_evidence']['verify_images']
