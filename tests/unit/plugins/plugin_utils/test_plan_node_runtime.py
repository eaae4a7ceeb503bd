# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning of the node_runtime role, and runc's SystemdCgroup in containerd's config.toml."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix import parse
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.evidence import Evidence
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import containerd as cfacts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import containerd_registry
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.containerd_registry.config_toml import (
    edit_config)
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.node_runtime import plan as _plan
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import ROLES, wanted

from pullfix_helpers import ids, load, run, with_file, with_runtime, with_socket, with_unit, without_file, without_kubelet

plan = with_runtime(_plan)

CONV = '/run/containerd/containerd.sock'
RT = {'name': 'containerd', 'version': '1.7.24', 'endpoint': 'unix://' + CONV}
CERTS = '/etc/containerd/certs.d'


def stale(ev=None):
    """A containerd node with cri-dockerd's units enabled and its socket listening (incident 4)."""
    ev = ev or load()
    with_unit(ev, 'cri-docker.service')
    with_unit(ev, 'cri-docker.socket', SubState='listening')
    with_socket(ev, '/run/cri-dockerd.sock')
    with_socket(ev, '/var/run/cri-dockerd.sock')
    return ev


def argvs(result):
    return [c['argv'] for c in result['commands']]


# ---------------------------------------------------------------- stale cri-dockerd
def test_stale_cri_dockerd_is_stopped_disabled_and_its_socket_removed():
    ev = stale()
    result = plan(ev, RT, {'runtime': 'containerd'})
    assert result['errors'] == []
    commands = argvs(result)
    assert commands[0] == ['systemctl', 'disable', '--now', 'cri-docker.service', 'cri-docker.socket']
    removed = [c[-1] for c in commands if c[0] == 'rm']
    assert removed and all(p.endswith('/cri-dockerd.sock') for p in removed)
    # /var/run and /run are one directory on this node: the file is removed once
    assert Evidence(ev).var_run_is_run()
    assert removed == ['/run/cri-dockerd.sock']


def test_nothing_to_do_without_cri_dockerd():
    result = plan(load(), RT, {'runtime': 'containerd'})
    assert result['commands'] == [] and result['changes'] == [] and result['errors'] == []


def test_docker_keeps_cri_dockerd():
    assert plan(stale(), dict(RT, name='docker'), {'runtime': 'docker'})['commands'] == []


def test_stale_cri_dockerd_only_reported_when_asked():
    result = plan(stale(), RT, {'runtime': 'containerd', 'remove_stale_cri_dockerd': False})
    assert result['commands'] == []
    assert any('pullfix_remove_stale_cri_dockerd is false' in n for n in result['notes'])


def test_kubelet_on_cri_dockerd_is_refused():
    rt = dict(RT, endpoint='unix:///var/run/cri-dockerd.sock')
    result = plan(stale(), rt, {'runtime': 'containerd'})
    assert result['commands'] == []
    assert 'kubelet uses cri-dockerd' in result['errors'][0]


def test_doctor_names_this_role_for_incident_4():
    # kubeadm not run yet (no kubelet configuration): kubeadm join stops now
    diagnosis = run(stale(without_kubelet(load())), {'runtime': 'containerd'})
    assert {'multiple-cri-endpoints', 'cri-dockerd-without-docker'} <= set(ids(diagnosis))
    assert ('node_runtime', 'finding cri-dockerd-without-docker') in wanted(diagnosis, {}) or \
        ('node_runtime', 'finding multiple-cri-endpoints') in wanted(diagnosis, {})
    assert 'node_runtime' in ROLES


def test_stale_cri_dockerd_on_a_running_node_is_a_warning_still_fixed():
    # kubelet names containerd: nothing fails now, but the stale cri-dockerd is still removed
    diagnosis = run(stale(), {'runtime': 'containerd'})
    found = dict((f['id'], f) for f in diagnosis['findings'])
    assert 'multiple-cri-endpoints' not in found
    assert found['multiple-cri-endpoints-kubelet-set']['severity'] == 'warning'
    assert found['multiple-cri-endpoints-kubelet-set']['caused_by'] == 'cri-dockerd-without-docker'
    assert ('node_runtime', 'finding cri-dockerd-without-docker') in wanted(diagnosis, {})


def test_bad_settings_are_named():
    with pytest.raises(PlanError, match='pullfix_remove_stale_cri_dockerd'):
        plan(load(), RT, {'remove_stale_cri_dockerd': 'yes'})
    with pytest.raises(PlanError, match='pullfix_runtime'):
        plan(load(), RT, {'runtime': 'crio', 'node_provision': True})


# ---------------------------------------------------------------- provisioning
def test_provisioning_writes_crictl_when_missing():
    ev = load()
    without_file(ev, '/etc/crictl.yaml')
    result = plan(ev, RT, {'runtime': 'containerd', 'node_provision': True})
    crictl = [c for c in result['changes'] if c['path'] == '/etc/crictl.yaml']
    assert crictl and crictl[0]['content'] == 'runtime-endpoint: unix://%s\n' % CONV
    assert crictl[0]['role'] == 'node_runtime'


def test_fix_pull_run_does_not_provision():
    ev = load()
    without_file(ev, '/etc/crictl.yaml')
    assert plan(ev, RT, {'runtime': 'containerd'})['changes'] == []


def test_provisioning_sets_kubelet_runtime_endpoint():
    ev = load()
    with_file(ev, '/var/lib/kubelet/config.yaml',
              'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n'
              'containerRuntimeEndpoint: unix:///var/run/cri-dockerd.sock\n', 'kubelet-config')
    result = plan(ev, RT, {'runtime': 'containerd', 'node_provision': True})
    kubelet = [c for c in result['changes'] if c['path'] == '/var/lib/kubelet/config.yaml']
    assert kubelet, result
    assert 'containerRuntimeEndpoint: unix://%s' % CONV in kubelet[0]['content']
    assert kubelet[0]['role'] == 'node_runtime'


def test_docker_note_asks_for_cri_socket():
    ev = stale()
    result = plan(ev, dict(RT, name='docker'), {'runtime': 'docker', 'node_provision': True})
    assert any('criSocket: unix:///var/run/cri-dockerd.sock' in n for n in result['notes'])


# ---------------------------------------------------------------- SystemdCgroup
@pytest.mark.parametrize('major,table', [(1, ('plugins', 'io.containerd.grpc.v1.cri')),
                                         (2, ('plugins', 'io.containerd.cri.v1.runtime'))])
def test_bare_config_gets_systemd_cgroup(major, table):
    out = edit_config(None, major, CERTS, systemd_cgroup=True)
    assert out['errors'] == []
    data = parse.load_toml(out['text'])[0]
    runc = data
    for key in table + ('containerd', 'runtimes', 'runc'):
        runc = runc[key]
    assert runc['options']['SystemdCgroup'] is True
    # 1.x replaces the default runc entry: its type must be written too (facts)
    assert runc.get('runtime_type') == ('io.containerd.runc.v2' if major == 1 else None)
    again = edit_config(out['text'], major, CERTS, systemd_cgroup=True)
    assert again['text'] == out['text'] and again['reasons'] == []


def test_systemd_cgroup_keeps_comments_and_an_existing_type():
    text = ('version = 2\n# ours\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n'
            '  runtime_type = "io.containerd.runc.v2"  # kept\n'
            '  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n    SystemdCgroup = false\n')
    out = edit_config(text, 1, CERTS, systemd_cgroup=True)
    assert out['errors'] == []
    assert '# ours' in out['text'] and '# kept' in out['text']
    assert 'SystemdCgroup = true' in out['text'] and 'SystemdCgroup = false' not in out['text']
    assert out['text'].count('runtime_type') == 1


def test_systemd_cgroup_left_alone_by_default():
    out = edit_config(None, 1, CERTS)
    assert 'SystemdCgroup' not in out['text']


def test_systemd_cgroup_setting():
    ev = load()
    assert containerd_registry.systemd_cgroup_wanted(Evidence(ev), None) is None
    ev['systemd']['available'] = True
    assert containerd_registry.systemd_cgroup_wanted(Evidence(ev), 'auto') is True
    ev['systemd']['available'] = False
    assert containerd_registry.systemd_cgroup_wanted(Evidence(ev), 'auto') is False
    ev['systemd']['available'] = True
    with pytest.raises(PlanError, match='pullfix_containerd_systemd_cgroup'):
        with_runtime(containerd_registry.plan)(ev, RT, {'systemd_cgroup': 'sometimes'})


def test_keys_per_config_version():
    assert cfacts.systemd_cgroup_key(2)[:2] == ('plugins', 'io.containerd.grpc.v1.cri')
    assert cfacts.systemd_cgroup_key(3)[:2] == ('plugins', 'io.containerd.cri.v1.runtime')
    assert cfacts.runc_type_needed(1) and not cfacts.runc_type_needed(2)


def test_a_dead_cri_dockerd_socket_file_is_no_kubeadm_error():
    # kubeadm 1.24+ dials its known sockets: a file nothing listens on is not an endpoint
    ev = load()
    with_socket(ev, '/run/cri-dockerd.sock', connect='refused')
    with_socket(ev, '/var/run/cri-dockerd.sock', connect='refused')
    found = ids(run(ev, {'runtime': 'containerd'}))
    assert 'multiple-cri-endpoints' not in found
    assert 'cri-dockerd-without-docker' in found
    # and the planner still removes the file (older kubeadm and crictl only stat() it)
    assert ['rm', '-f', '--', '/run/cri-dockerd.sock'] in argvs(plan(ev, RT, {'runtime': 'containerd'}))


def test_node_prepared_for_kubeadm_join_gets_the_endpoint_in_its_flags_file():
    """kind's node image: /etc/default/kubelet (KUBELET_EXTRA_ARGS, no final newline), no
    /var/lib/kubelet/config.yaml yet (gathered as missing). The missing file is no file to edit;
    the runtime endpoint goes into the flags file, which kubeadm join leaves alone and whose flags
    win over the config.yaml kubeadm writes."""
    import os
    with open(os.path.join(os.path.dirname(__file__), '..', '..', 'fixtures', 'corpus', 'kubelet',
                           'kind-etc-default-kubelet')) as f:
        text = f.read()
    ev = without_kubelet(load())
    ev['files']['/var/lib/kubelet/config.yaml'] = {'stat': {'type': 'missing'}, 'content': None, 'truncated': False,
                                                   'error': {'kind': 'missing', 'message': 'No such file'},
                                                   'why': ['kubelet-config']}
    with_file(ev, '/etc/default/kubelet', text, 'kubelet-config')
    result = plan(ev, RT, {'runtime': 'containerd', 'node_provision': True})
    assert result['errors'] == []
    (c,) = [c for c in result['changes'] if c['path'] == '/etc/default/kubelet']
    assert c['content'] == ('KUBELET_EXTRA_ARGS=--runtime-cgroups=/system.slice/containerd.service '
                            '--container-runtime-endpoint=unix://%s --image-service-endpoint=unix://%s' % (CONV, CONV))
    assert c['action'] == 'update' and c['role'] == 'node_runtime'
    assert '/var/lib/kubelet/config.yaml' not in [c['path'] for c in result['changes']]
    # applied: nothing more to do
    with_file(ev, '/etc/default/kubelet', c['content'], 'kubelet-config')
    assert [c['path'] for c in plan(ev, RT, {'runtime': 'containerd', 'node_provision': True})['changes']
            if c['path'] == '/etc/default/kubelet'] == []
