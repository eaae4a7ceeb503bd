# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of socket-group-mismatch: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import sockets as socket_facts
from ...catalogue import SOCKET, case, finding
from . import socket_desc, socket_mode, runtime_socket_paths

FINDINGS = {
    'socket-group-mismatch': finding(
        'warning', 'A runtime socket is not group-accessible to pullfix_socket_group',
        SOCKET, 'consumer',
        applies_to='every runtime and version',
        doc="""`pullfix_socket_group` is set and the runtime socket is owned by another group, or the group lacks read/write. (Group names are \
compared only when the evidence carries them; numeric ids always.)
""",
        error_text='dial unix /run/containerd/containerd.sock: connect: permission denied',
        example='/run/containerd/containerd.sock: mode=0600 uid=0 gid=0'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'socket-group-mismatch': (
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, gid=0), {'socket_group': 997}),
        case(lambda ev, h: h.with_socket(ev, h.RUN_SOCK, gid=997), {'socket_group': '997'})),
}


def check_group(ctx):
    group = ctx.settings.get('socket_group')
    if group in (None, ''):
        return
    ev = ctx.ev
    gid, _why = socket_facts.group_gid(ev, group)
    for path in runtime_socket_paths(ctx):
        st = ev.sockets[path].get('stat') or {}
        if st.get('type') == 'symlink':
            continue
        mode = socket_mode(st) or 0
        if gid is not None:
            same = st.get('gid') == gid
        elif st.get('group'):
            same = st.get('group') == group
        else:
            same = None  # the evidence has no group name: only the mode can be judged
        problems = []
        if same is False:
            problems.append('its group is %s, not %s' % (st.get('group') or st.get('gid'), group))
        if mode & 0o060 != 0o060:
            problems.append('the group cannot read and write it (mode %s)' % st.get('mode'))
        if problems:
            ctx.findings.add('socket-group-mismatch', [socket_desc(path, st)], (
                '%s should be usable by the group %s (pullfix_socket_group), but %s.' % (
                    path, group, ' and '.join(problems))))


def check(ctx, models):
    check_group(ctx)
