# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.node_runtime`` role (pure, no Ansible imports).

What a node needs beyond the registry and socket roles to have exactly one CRI runtime:

- a cri-dockerd that the chosen runtime does not use (its service, its socket unit, a socket
  file left behind) is stopped, disabled and its socket removed, so kubeadm finds one CRI
  endpoint among its defaults (``pullfix_remove_stale_cri_dockerd``, default true);
- while provisioning (the role itself, not a fix-pull run): ``/etc/crictl.yaml`` names the
  runtime's socket when the file is missing, and kubelet's endpoints, where kubelet
  configuration exists, name the runtime's socket (the cri_shim planner's kubelet edit).

Installing packages, cri-dockerd's binary and units, and starting the runtime happen in the
role's tasks, before the evidence this plan is made from.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .. import PlanError, change, file_state, finish, new_plan, state_reason
from ..settings import planner_inputs
from ..cri_shim import plan_kubelet
from ..runtime_socket import crictl_text
from ...evidence import endpoint_path
from ...facts import sockets as socket_facts
from ...facts.endpoints import CRI_DOCKERD_SOCKETS, CRI_DOCKERD_UNITS, KUBELET_CONFIG, KUBELET_FLAG_FILES

ROLE = 'node_runtime'
# Runtimes the role provisions from distribution packages (CRI-O: Debian 12 and 13 carry no
# cri-o package, so it is refused by the argument spec; see docs/remediations/node_runtime.md).
PROVISIONED = ('containerd', 'docker')


def check_settings(settings):
    stale = settings.get('remove_stale_cri_dockerd', True)
    if not isinstance(stale, bool):
        raise PlanError('pullfix_remove_stale_cri_dockerd: %r is not a boolean (expected true or false)' % (stale,))
    provision = settings.get('node_provision', False)
    if not isinstance(provision, bool):
        raise PlanError('node_provision: %r is not a boolean' % (provision,))
    return stale, provision


def wanted_runtime(settings, runtime):
    """The runtime this node is meant to run: the setting when it names one, else the detected one."""
    want = settings.get('runtime')
    if want in (None, '', 'auto'):
        want = (runtime or {}).get('name')
    return want


def plan_stale_cri_dockerd(ev, runtime, want, remove, result):
    """Stop and disable a cri-dockerd the runtime does not use; remove the socket it leaves."""
    units = [u for u in CRI_DOCKERD_UNITS if ev.unit(u) and (ev.unit_active(u) or ev.unit_enabled(u))]
    sockets = [p for p in CRI_DOCKERD_SOCKETS if ev.socket_is_present(p)]
    if ev.var_run_is_run():  # /var/run is /run: one file under two names
        sockets = sorted(set(p.replace('/var/run/', '/run/', 1) for p in sockets))
    if not units and not sockets:
        return
    used = [endpoint_path((runtime or {}).get(k)) for k in ('endpoint', 'image_endpoint')]
    if any(p and 'cri-dockerd' in p for p in used):
        result['errors'].append('kubelet uses cri-dockerd (%s) but the runtime to keep is %s: kubenode.pullfix does '
                                'not move a running node from one runtime to another; drain it and switch kubelet\'s '
                                'endpoint first' % (', '.join(p for p in used if p), want))
        return
    found = ', '.join(units + sockets)
    if not remove:
        result['notes'].append('cri-dockerd is present although the runtime is %s (%s): left as it is because '
                               'pullfix_remove_stale_cri_dockerd is false; kubeadm stops with "Found multiple CRI '
                               'endpoints on the host" unless criSocket is set' % (want, found))
        return
    if units:
        result['commands'].append({'argv': ['systemctl', 'disable', '--now'] + units,
                                   'reason': 'cri-dockerd is not used by the %s runtime: stopped and disabled (%s)' % (
                                       want, ', '.join(units))})
    # A stopped socket unit leaves its file unless RemoveOnStop=yes. kubeadm 1.24+ dials each known
    # socket (a dead file does not count), older kubeadm and crictl's defaults only stat() it.
    for path in sockets:
        result['commands'].append({'argv': ['rm', '-f', '--', path],
                                   'reason': 'stale cri-dockerd socket %s removed (kubeadm counts it as a CRI '
                                             'endpoint)' % path})


def plan_crictl(ev, sock, result):
    """/etc/crictl.yaml naming the runtime's socket, when the file is missing.

    An existing file is runtime_socket's to edit (it corrects wrong endpoints); when the runtime
    listens elsewhere than containerd's default, runtime_socket creates the file itself.
    """
    state, _text = file_state(ev, socket_facts.CRICTL)
    if state != 'missing' or sock != socket_facts.CONVENTIONAL:
        if state not in ('missing', 'file'):
            why = state_reason(ev, socket_facts.CRICTL, state)
            result['notes'].append('%s: %s; not changed' % (socket_facts.CRICTL, why))
        return
    text, reasons = crictl_text('', 'unix://' + sock, lambda _value: False)
    result['changes'].append(change(socket_facts.CRICTL, 'create', text, 'crictl endpoints: ' + '; '.join(reasons),
                                    ROLE))


def plan_kubelet_endpoints(ev, runtime, settings, sock, result):
    """kubelet's runtime and image endpoints set to the runtime's own socket (cri_shim's edit)."""
    if not ev.processes_named('kubelet') and not any(
            file_state(ev, p)[0] == 'file' for p in KUBELET_FLAG_FILES + (KUBELET_CONFIG,)):
        result['notes'].append('no kubelet configuration on this node yet: kubelet\'s endpoints are left to '
                               'kubeadm (criSocket: unix://%s)' % sock)
        return
    sub = new_plan()
    plan_kubelet(ev, runtime, settings, sock, sock, sub)
    for c in sub['changes']:
        c['role'] = ROLE
        c['reason'] = c['reason'].replace('image-cri-shim', 'runtime')
    result['changes'].extend(sub['changes'])
    result['errors'].extend(sub['errors'])
    result['notes'].extend(n for n in sub['notes'] if 'shim' not in n)


def plan(ev, diagnosis, settings):
    """Plan the node_runtime role. Raises PlanError on invalid settings (before planning)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    remove, provision = check_settings(settings)
    want = wanted_runtime(settings, runtime)
    result = new_plan()
    result['commands'] = []
    if want != 'docker':
        plan_stale_cri_dockerd(ev, runtime, want, remove, result)
    if not provision:
        return finish(result)
    if want not in PROVISIONED:
        raise PlanError('pullfix_runtime: %r cannot be provisioned here (expected one of: %s)' % (
            want, ', '.join(PROVISIONED)))
    sock = socket_facts.runtime_socket(ev, dict(runtime, name=want))
    if not sock or socket_facts.socket_kind(ev, sock) not in ('socket', 'symlink'):
        result['notes'].append('%s: the %s socket does not answer yet; crictl and kubelet are not pointed at '
                               'it' % (sock or '(unknown socket)', want))
        return finish(result)
    if want == 'docker':
        others = [p for p in (socket_facts.CONVENTIONAL,) if ev.socket_is_present(p)]
        if others:
            # Docker Engine runs on containerd, whose socket stays: kubeadm sees both.
            result['notes'].append('kubeadm also finds %s (the containerd under Docker Engine): give kubeadm '
                                   'criSocket: unix://%s (--cri-socket), or it stops with "Found multiple CRI '
                                   'endpoints on the host"' % (', '.join(others), sock))
    plan_crictl(ev, sock, result)
    plan_kubelet_endpoints(ev, runtime, settings, sock, result)
    return finish(result)
