# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Runtime sockets: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import endpoint_path
from ....facts import sockets as socket_facts

TITLE = 'Runtime sockets'
RANK = 70


EXPECTED_SELINUX_TYPE = socket_facts.SELINUX_TYPE


def socket_mode(st):
    try:
        return int(str(st.get('mode')), 8)
    except (TypeError, ValueError):
        return None


def present_sockets(ev):
    return [p for p in sorted(ev.sockets) if ev.socket_is_present(p)
            and ((ev.sockets[p].get('stat') or {}).get('type') == 'socket')]


def socket_desc(path, st):
    group = ' group=%s' % st['group'] if st.get('group') else ''
    return '%s: mode=%s uid=%s gid=%s%s' % (path, st.get('mode'), st.get('uid'), st.get('gid'), group)


def runtime_socket_paths(ctx):
    rt = ctx.runtime or {}
    out = []
    for ep in (rt.get('endpoint'), rt.get('image_endpoint')):
        p = endpoint_path(ep)
        if p and p not in out and ctx.ev.socket_is_present(p):
            out.append(p)
    return out
