# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of socket-world-accessible: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import SOCKET, case, finding
from . import socket_desc, socket_mode, present_sockets

FINDINGS = {
    'socket-world-accessible': finding(
        'error', 'A runtime socket is writable by everyone',
        SOCKET, 'security',
        applies_to='every runtime and version',
        doc="""A runtime socket has the "other" write bit (e.g. mode 0666): every local user controls the runtime, i.e. is root on the node. Access \
must go through a group.
""",
        error_text='(no error: a security problem)',
        example='/run/containerd/containerd.sock: mode=0666 uid=0 gid=0'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'socket-world-accessible': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, mode='0666')),
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, mode='0660'))),
}


def check_world_accessible(ctx):
    ev = ctx.ev
    for path in present_sockets(ev):
        st = ev.sockets[path].get('stat') or {}
        mode = socket_mode(st)
        if mode is not None and mode & 0o002:
            ctx.findings.add('socket-world-accessible', [socket_desc(path, st)], (
                '%s is writable by every local user (mode %s): whoever can connect controls the runtime, '
                'which is root on the node. Grant access through a group (0660) instead.' % (path, st.get('mode'))))


def check(ctx, models):
    check_world_accessible(ctx)
