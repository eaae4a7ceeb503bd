# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning of the runtime_socket role on recorded evidence: a k3s-like containerd, bad input, SELinux."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose import diagnose
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.facts import sockets as facts
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan import PlanError
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.roles import wanted
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.plan.runtime_socket import (
    VALIDATE_CONFIG, crictl_text, dropin_text, plan as _plan, tmpfiles_text)

from pullfix_helpers import load, with_file, with_runtime, with_socket, with_unit

plan = with_runtime(_plan)

CFG = '/etc/containerd/config.toml'
REAL = '/run/k3s/containerd/containerd.sock'
CONV = '/run/containerd/containerd.sock'
RT = {'name': 'containerd', 'version': '1.7.24', 'containerd_version': '1.7.24',
      'endpoint': 'unix://' + CONV}
K3S_LIKE_CFG = 'version = 2\nstate = "/run/k3s/containerd"\n\n[grpc]\n  address = "%s"\n' % REAL
GROUPS = 'root:x:0:\nnogroup:x:65534:\ncrisock:x:997:spegel\n'
SETTINGS = {'socket_consumers': ['spegel'], 'socket_compat_link': True, 'socket_group': 'crisock'}
DROPIN = '/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf'


def k3s_like(mode='0666', gid=0):
    """containerd listening at k3s's path, socket opened to everybody, a consumer unit, /etc/group."""
    ev = load()
    with_file(ev, CFG, K3S_LIKE_CFG, 'containerd-config')
    with_socket(ev, REAL, mode=mode, gid=gid)
    with_socket(ev, CONV, 'missing')
    with_socket(ev, '/var/run/containerd/containerd.sock', 'missing')
    with_file(ev, facts.GROUP_DB, GROUPS, 'socket-access')
    with_unit(ev, 'spegel.service', After=['basic.target'])
    ev['files'].pop(facts.CRICTL, None)
    return ev


def fixed(ev, result):
    """The evidence as the next gathering sees it after ``result`` was applied."""
    for c in result['changes']:
        if c['action'] == 'remove':
            ev['files'].pop(c['path'], None)
        else:
            with_file(ev, c['path'], c['content'], 'socket-access')
    for c in result['commands']:
        argv = c['argv']
        if argv[0] == 'chmod':
            ev['sockets'][argv[2]]['stat']['mode'] = argv[1]
        elif argv[0] == 'chgrp':
            ev['sockets'][argv[2]]['stat']['gid'] = int(argv[1])
        elif argv[0] == 'systemd-tmpfiles':
            with_socket(ev, CONV, kind='symlink', target=REAL, resolved_type='socket')
    return ev


def by_path(result):
    return dict((c['path'], c) for c in result['changes'])


def argvs(result):
    return [c['argv'] for c in result['commands']]


def test_k3s_like_node_gets_every_piece_and_a_second_plan_is_empty():
    ev = k3s_like()
    result = plan(ev, RT, SETTINGS)
    assert result['errors'] == []
    changes = by_path(result)
    assert sorted(changes) == sorted([CFG, facts.CRICTL, facts.TMPFILES, DROPIN])
    assert changes[facts.CRICTL]['content'] == 'runtime-endpoint: unix://%s\n' % REAL
    assert changes[facts.TMPFILES]['content'].splitlines()[-1] == 'L %s - - - - %s' % (CONV, REAL)
    dropin = changes[DROPIN]
    assert dropin['restart'] == ['systemd', 'spegel']
    assert dropin['validate'] == facts.verify_dropin_argv('spegel.service')
    assert 'After=containerd.service\nWants=containerd.service\n' in dropin['content']
    assert '[ ! -S %s ]' % REAL in dropin['content'] and '-gt 60' in dropin['content']
    cfg = changes[CFG]
    assert (cfg['validate'], cfg['restart']) == (VALIDATE_CONFIG, 'containerd')
    assert cfg['content'] == K3S_LIKE_CFG + '  gid = 997\n'
    assert argvs(result) == [['systemd-tmpfiles', '--create', facts.TMPFILES], ['chgrp', '997', REAL],
                             ['chmod', '0660', REAL]]
    assert any('containerdSock: "%s"' % REAL in n and 'spc_t' in n and
               'containerdRegistryConfigPath: "/etc/containerd/certs.d"' in n for n in result['notes'])
    again = plan(fixed(ev, result), RT, SETTINGS)
    assert (again['changes'], again['commands'], again['errors']) == ([], [], [])


def test_world_accessible_socket_without_a_group_is_set_to_0660_only():
    ev = k3s_like()
    result = plan(ev, RT, {})
    assert argvs(result) == [['chmod', '0660', REAL]]
    assert [c['path'] for c in result['changes']] == [facts.CRICTL]  # no config edit, no link, no drop-in
    assert 'world-accessible' in result['commands'][0]['reason']


def test_a_socket_already_0660_in_its_group_is_left_alone():
    result = plan(k3s_like(mode='0660', gid=997), RT, {'socket_group': 997})
    assert argvs(result) == []
    assert CFG in by_path(result)  # the gid still goes into the config, so a restart keeps it


def test_diagnosis_names_this_role_for_the_world_accessible_socket():
    diagnosis = diagnose(k3s_like(), {})
    found = dict((f['id'], f) for f in diagnosis['findings'])
    assert found['socket-world-accessible']['remediation'] == 'kubenode.pullfix.runtime_socket'
    assert found['socket-world-accessible']['category'] == 'security'
    assert 'runtime_socket' in dict(wanted(diagnosis, {}))


def test_settings_alone_ask_for_the_role():
    assert wanted({'findings': []}, {'socket_consumers': ['spegel']}) == [('runtime_socket', 'pullfix_socket_consumers is set')]
    assert wanted({'findings': []}, {'socket_consumers': [], 'socket_compat_link': False}) == []


# ---------------------------------------------------------------- SELinux (planned, not enforced here)
def test_selinux_enabled_and_wrong_label_relabels_the_socket_directory_only():
    ev = k3s_like(mode='0660')
    ev['selinux'] = {'mounted': True, 'enforce': '1'}
    ev['sockets'][REAL]['selinux_label'] = 'system_u:object_r:var_run_t:s0'
    cmds = argvs(plan(ev, RT, {}))
    assert cmds == [
        ['/bin/sh', '-c', 'semanage fcontext -a -t "$1" "$2" 2>/dev/null || semanage fcontext -m -t "$1" "$2"',
         'semanage', 'container_var_run_t', '/run/k3s/containerd(/.*)?'],
        ['restorecon', '-v', '/run/k3s/containerd', REAL],
    ]
    flat = ' '.join(' '.join(c) for c in cmds)
    assert '-F' not in flat.split() and '-R' not in flat.split() and 'setenforce' not in flat


@pytest.mark.parametrize('selinux,label', [
    ({'mounted': False, 'enforce': None}, 'system_u:object_r:var_run_t:s0'),  # SELinux disabled: nothing
    ({'mounted': True, 'enforce': '1'}, 'system_u:object_r:container_var_run_t:s0'),  # already right
    ({'mounted': True, 'enforce': '0'}, None),  # no label read
])
def test_selinux_commands_only_when_enabled_and_wrong(selinux, label):
    ev = k3s_like(mode='0660')
    ev['selinux'] = selinux
    ev['sockets'][REAL]['selinux_label'] = label
    assert not [a for a in argvs(plan(ev, RT, {})) if 'semanage' in a or 'restorecon' in a]


def test_fcontext_rule_escapes_the_directory():
    assert facts.fcontext_rule('/run/k0s/containerd.sock') == '/run/k0s(/.*)?'
    assert facts.fcontext_rule('/run/a.b+c/x.sock') == '/run/a\\.b\\+c(/.*)?'


# ---------------------------------------------------------------- bad input
@pytest.mark.parametrize('kind,extra,words', [
    ('file', {}, 'a regular file'),
    ('dir', {}, 'a directory'),
    ('symlink', {'target': '/run/k3s/gone.sock', 'resolved_type': 'missing'}, 'a symlink to nothing'),
])
def test_runtime_socket_path_that_is_no_socket_plans_nothing_and_says_why(kind, extra, words):
    ev = k3s_like()
    with_socket(ev, REAL, 'not_socket' if kind != 'symlink' else 'missing', kind=kind, **extra)
    result = plan(ev, RT, SETTINGS)
    assert result['changes'] == [] and result['commands'] == [] and result['errors'] == []
    assert len(result['notes']) == 1 and REAL in result['notes'][0] and words in result['notes'][0]


def test_a_runtime_socket_that_does_not_exist_is_never_pointed_at():
    # k3s detected but not running (or listening elsewhere): writing crictl.yaml for its socket
    # would break crictl's working defaults.
    ev = k3s_like()
    with_socket(ev, REAL, 'missing')
    result = plan(ev, {'name': 'k3s'}, {})
    assert result['changes'] == [] and result['commands'] == [] and result['errors'] == []
    assert len(result['notes']) == 1 and REAL in result['notes'][0] and 'does not exist' in result['notes'][0]


def test_consumer_without_a_unit_is_named_and_the_others_still_planned():
    ev = k3s_like()
    ev['systemd'].setdefault('not_found', []).append('nosuch.service')
    result = plan(ev, RT, dict(SETTINGS, socket_consumers=['nosuch', 'spegel']))
    assert result['errors'] == []
    assert any(n.startswith('nosuch.service: no such unit') for n in result['notes'])
    assert DROPIN in by_path(result)
    assert not [c for c in result['changes'] if 'nosuch' in c['path']]
    found = dict((f['id'], f) for f in diagnose(ev, dict(SETTINGS, socket_consumers=['nosuch']))['findings'])
    assert found['socket-consumer-unit-missing']['evidence'] == ['nosuch.service: LoadState=not-found']


@pytest.mark.parametrize('settings,where', [
    ({'socket_consumers': 'spegel'}, 'pullfix_socket_consumers: expected a list'),
    ({'socket_consumers': ['../etc/passwd']}, 'pullfix_socket_consumers[0]'),
    ({'socket_consumers': ['spegel.socket']}, 'is not a service'),
    ({'socket_compat_link': 'yes'}, 'pullfix_socket_compat_link'),
    ({'socket_group': 'a b'}, 'pullfix_socket_group'),
    ({'socket_group': -1}, 'pullfix_socket_group'),
])
def test_invalid_settings_raise_naming_the_setting(settings, where):
    with pytest.raises(PlanError) as exc:
        plan(k3s_like(), RT, settings)
    assert where in str(exc.value)


def test_unknown_group_is_an_error_naming_the_group_file():
    result = plan(k3s_like(), RT, {'socket_group': 'nosuchgroup'})
    assert result['errors'] == ["pullfix_socket_group: no group 'nosuchgroup' in /etc/group on this node"]


@pytest.mark.parametrize('kind,extra', [('file', {}), ('dir', {}), ('socket', {}),
                                        ('symlink', {'target': '/elsewhere.sock', 'resolved_type': 'socket'})])
def test_compat_link_never_replaces_what_is_at_the_conventional_path(kind, extra):
    ev = k3s_like(mode='0660')
    with_socket(ev, CONV, 'ok' if kind in ('socket', 'symlink') else 'not_socket', kind=kind, **extra)
    result = plan(ev, RT, {'socket_compat_link': True})
    assert facts.TMPFILES not in by_path(result)
    assert not [a for a in argvs(result) if a[0] in ('systemd-tmpfiles', 'rm')]
    assert any(e.startswith(CONV + ': is ') for e in result['errors'])


def test_dangling_compat_link_is_replaced():
    ev = k3s_like(mode='0660')
    with_socket(ev, CONV, 'missing', kind='symlink', target='/run/old.sock', resolved_type='missing')
    cmds = argvs(plan(ev, RT, {'socket_compat_link': True}))
    assert cmds == [['rm', '-f', CONV], ['systemd-tmpfiles', '--create', facts.TMPFILES]]


def test_compat_link_switched_off_removes_our_entry_and_link():
    ev = k3s_like(mode='0660')
    with_file(ev, facts.TMPFILES, tmpfiles_text(REAL), 'socket-access')
    with_socket(ev, CONV, kind='symlink', target=REAL, resolved_type='socket')
    result = plan(ev, RT, {'socket_compat_link': False, 'socket_consumers': []})
    assert [(c['path'], c['action']) for c in result['changes'] if c['path'] == facts.TMPFILES] == [
        (facts.TMPFILES, 'remove')]
    assert ['rm', '-f', CONV] in argvs(result)


def test_a_tmpfiles_entry_of_someone_else_is_not_replaced():
    ev = k3s_like(mode='0660')
    with_file(ev, facts.TMPFILES, 'L /run/x - - - - /y\n', 'socket-access')
    result = plan(ev, RT, {'socket_compat_link': True})
    assert facts.TMPFILES not in by_path(result)
    assert 'not managed by kubenode.pullfix' in ' '.join(result['errors'])


def test_runtime_at_the_conventional_path_needs_no_link_and_no_crictl_file():
    ev = load()
    result = plan(ev, {'name': 'containerd'}, {'socket_compat_link': True})
    assert result['changes'] == [] and result['errors'] == []
    assert any('no compatibility link needed' in n for n in result['notes'])


def test_k3s_runtime_uses_k3s_socket_and_units():
    ev = k3s_like(mode='0660')
    with_unit(ev, 'k3s.service')
    result = plan(ev, {'name': 'k3s'}, {'socket_consumers': ['spegel'], 'socket_group': 'crisock'})
    dropin = by_path(result)[DROPIN]['content']
    assert 'After=k3s.service\n' in dropin and '-S %s ' % REAL in dropin
    assert CFG not in by_path(result)  # k3s generates its containerd config: only the socket's group now
    assert ['chgrp', '997', REAL] in argvs(result)
    assert any('/var/lib/rancher/k3s/agent/etc/containerd/certs.d' in n for n in result['notes'])


# ---------------------------------------------------------------- crictl.yaml
def test_crictl_edit_keeps_comments_and_a_live_image_endpoint():
    text = '# ours\nruntime-endpoint: unix:///run/containerd/containerd.sock  # old\nimage-endpoint: unix:///shim.sock\ntimeout: 10\n'
    out, reasons = crictl_text(text, 'unix://' + REAL, lambda v: v == 'unix:///shim.sock')
    assert out == '# ours\nruntime-endpoint: unix://%s # old\nimage-endpoint: unix:///shim.sock\ntimeout: 10\n' % REAL
    assert reasons == ['runtime-endpoint unix:///run/containerd/containerd.sock -> unix://%s' % REAL]


def test_crictl_dangling_image_endpoint_follows_and_a_twice_set_key_is_refused():
    out, _reasons = crictl_text('image-endpoint: unix:///gone.sock\n', 'unix:///r.sock', lambda v: False)
    assert out == 'image-endpoint: unix:///r.sock\nruntime-endpoint: unix:///r.sock\n'
    out, why = crictl_text('runtime-endpoint: a\nruntime-endpoint: b\n', 'unix:///r.sock', lambda v: True)
    assert out is None and 'set twice' in why[0]


def test_dropin_text_escapes_for_systemd():
    text = dropin_text(['containerd.service'], '/run/a%b.sock')
    assert '/run/a%%b.sock' in text and '$$((i+1))' in text
