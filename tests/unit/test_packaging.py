"""The tarball `ansible-galaxy collection build` makes is what users install: it must carry
every playbook, role and plugin of the checkout, and none of the development tooling."""
import fnmatch
import os
import re
import subprocess
import sys
import tarfile

import pytest
import yaml

# The tools of the virtualenv that runs the tests, whether or not it is on PATH.
BIN = os.path.dirname(sys.executable)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# Paths (fnmatch patterns) that must never reach users.
FORBIDDEN = [
    '.build/*', '.venv/*', '.git/*', '.git', '.gitignore', '.ansible-lint', '.config/*', '.ci/*',
    '.cache/*', '.pytest_cache/*', '.ansible/*', '*/__pycache__/*', '*.pyc', '*.tar.gz',
    'molecule/*', 'tests/*', 'pytest.ini', 'Makefile', 'requirements-dev.*',
    'changelogs/fragments/*', 'execution-environment.yml',
]
# Files users need besides the plugins, roles and playbooks found in the checkout.
REQUIRED = [
    'MANIFEST.json', 'FILES.json', 'README.md', 'CHANGELOG.md', 'COPYING', 'meta/runtime.yml',
    'meta/execution-environment.yml', 'requirements.txt', 'bindep.txt',
    'changelogs/changelog.yaml', 'changelogs/config.yaml',
    'docs/troubleshooting.md', 'docs/compatibility.md', 'docs/remediations/containerd_registry.md',
]


def _checkout_files(top, suffixes):
    found = set()
    for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
        dirnames[:] = [d for d in dirnames if d != '__pycache__']
        for name in filenames:
            if name.endswith(suffixes):
                found.add(os.path.relpath(os.path.join(dirpath, name), ROOT))
    return found


@pytest.fixture(scope='module')
def tarball(tmp_path_factory):
    out = tmp_path_factory.mktemp('dist')
    subprocess.run([os.path.join(BIN, 'ansible-galaxy'), 'collection', 'build', '--output-path', str(out), ROOT],
                   check=True, capture_output=True, text=True)
    with open(os.path.join(ROOT, 'galaxy.yml')) as f:
        version = yaml.safe_load(f)['version']
    path = out / ('kubenode-pullfix-%s.tar.gz' % version)
    with tarfile.open(path) as tar:
        names = {m.name[2:] if m.name.startswith('./') else m.name for m in tar.getmembers() if not m.isdir()}
    return path, names


def test_no_development_tooling_in_the_tarball(tarball):
    names = tarball[1]
    leaked = sorted(n for n in names if any(fnmatch.fnmatch(n, p) for p in FORBIDDEN))
    assert leaked == []


def test_every_playbook_role_and_plugin_is_in_the_tarball(tarball):
    names = tarball[1]
    expected = (_checkout_files('playbooks', ('.yml',)) | _checkout_files('roles', ('.yml', '.j2'))
                | _checkout_files('plugins', ('.py',)) | _checkout_files('docs', ('.md',)))
    assert sorted(expected - names) == []
    assert sorted(set(REQUIRED) - names) == []


def test_every_playbook_is_addressable_by_fqcn(tarball):
    # ansible-playbook kubenode.pullfix.<name> finds playbooks/<name>.yml; a hyphen is no FQCN.
    names = tarball[1]
    playbooks = {os.path.basename(n)[:-4] for n in names if n.startswith('playbooks/') and n.endswith('.yml')}
    assert {'fix_pull', 'diagnose', 'explain'} <= playbooks
    assert sorted(p for p in playbooks if p != 'fix-pull' and not p.isidentifier()) == []


def test_manifest_version_matches_galaxy_and_changelog(tarball):
    path = tarball[0]
    with open(os.path.join(ROOT, 'galaxy.yml')) as f:
        version = yaml.safe_load(f)['version']
    with open(os.path.join(ROOT, 'changelogs', 'changelog.yaml')) as f:
        releases = yaml.safe_load(f)['releases']
    assert version in releases
    with tarfile.open(path) as tar:
        manifest = yaml.safe_load(tar.extractfile('MANIFEST.json'))
    assert manifest['collection_info']['version'] == version


def _role_references(node):
    # Role names in import_role / include_role tasks and in `roles:` lists, anywhere in a file.
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ('ansible.builtin.import_role', 'ansible.builtin.include_role', 'import_role', 'include_role'):
                yield value.get('name')
            elif key == 'roles' and isinstance(value, list):
                for role in value:
                    yield role.get('role', role.get('name')) if isinstance(role, dict) else role
            else:
                yield from _role_references(value)
    elif isinstance(node, list):
        for item in node:
            yield from _role_references(item)


def test_playbooks_and_roles_use_roles_by_fqcn():
    # A short role name resolves only next to a checkout's roles/; installed, it needs the FQCN.
    roles = set(os.listdir(os.path.join(ROOT, 'roles')))
    files = sorted(_checkout_files('playbooks', ('.yml',)) | _checkout_files('roles', ('.yml',)))
    refs = {}
    for rel in files:
        with open(os.path.join(ROOT, rel)) as f:
            for ref in _role_references(yaml.safe_load(f)):
                refs.setdefault(ref, []).append(rel)
    assert refs, 'no role reference found: the scan is broken'
    wrong = {ref: where for ref, where in refs.items()
             if not (ref.startswith('kubenode.pullfix.') and ref.split('.', 2)[2] in roles)}
    assert wrong == {}


def _pins(path):
    with open(os.path.join(ROOT, path)) as f:
        return dict(line.strip().split('==', 1) for line in f if '==' in line and not line.startswith('#'))


def test_execution_environment_pins_what_the_project_tests_with():
    # The EE's controller libraries and ansible-core are the versions requirements-dev.txt pins.
    with open(os.path.join(ROOT, 'execution-environment.yml')) as f:
        ee = yaml.safe_load(f)
    assert ee['version'] == 3
    dev = {name.lower(): version for name, version in _pins('requirements-dev.txt').items()}
    wanted = list(ee['dependencies']['python']) + [ee['dependencies']['ansible_core']['package_pip']]
    pins = dict(p.split('==', 1) for p in wanted)
    assert {'tomlkit', 'PyYAML', 'ruamel.yaml', 'ansible-core'} <= set(pins)
    assert {name: version for name, version in pins.items() if dev.get(name.lower()) != version} == {}
    # Every controller library the collection declares for users is in the EE too.
    with open(os.path.join(ROOT, 'requirements.txt')) as f:
        declared = {re.split(r'[<>=!~ ]', line.strip(), maxsplit=1)[0].lower() for line in f
                    if line.strip() and not line.startswith('#')}
    assert sorted(declared - {n.lower() for n in pins}) == []
