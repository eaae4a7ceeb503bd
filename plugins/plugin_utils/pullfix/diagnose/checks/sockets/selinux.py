# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of socket-selinux-label: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import SOCKET, case, finding
from . import EXPECTED_SELINUX_TYPE, present_sockets

FINDINGS = {
    'socket-selinux-label': finding(
        'warning', 'A runtime socket has the wrong SELinux label (expected container_var_run_t)',
        SOCKET, 'consumer',
        applies_to='SELinux hosts',
        doc="""SELinux is enabled and a runtime socket's label type is not `container_var_run_t`: confined consumers (`container_t` pods such as \
Spegel) are denied `connectto`.
""",
        error_text="""avc:  denied  { connectto } for  comm="spegel" path="/run/containerd/containerd.sock" scontext=system_u:system_r:container_t:s0 \
tcontext=system_u:system_r:container_runtime_t:s0 tclass=unix_stream_socket
dial unix /run/containerd/containerd.sock: connect: permission denied""",
        example='/run/containerd/containerd.sock: system_u:object_r:var_run_t:s0'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'socket-selinux-label': (
        case(lambda ev, h: (ev.update(selinux={'mounted': True, 'enforce': '1'}),
                            h.with_socket(ev, h.RUN_SOCK, label='system_u:object_r:var_run_t:s0'))),
        case(lambda ev, h: (ev.update(selinux={'mounted': True, 'enforce': '1'}),
                            h.with_socket(ev, h.RUN_SOCK, label='system_u:object_r:container_var_run_t:s0')))),
}


def check_selinux(ctx):
    ev = ctx.ev
    if not ev.selinux.get('mounted'):
        return
    for path in present_sockets(ev):
        label = ev.sockets[path].get('selinux_label')
        if not label:
            continue
        parts = str(label).split(':')
        stype = parts[2] if len(parts) >= 3 else None
        if stype != EXPECTED_SELINUX_TYPE:
            ctx.findings.add('socket-selinux-label', ['%s: %s' % (path, label)], (
                '%s is labelled %s, not %s: confined consumers (container_t pods such as Spegel) are denied '
                'connectto. Restore the policy label (semanage fcontext / restorecon on the socket\'s '
                'directory), never by disabling SELinux.' % (path, stype, EXPECTED_SELINUX_TYPE)))


def check(ctx, models):
    check_selinux(ctx)
