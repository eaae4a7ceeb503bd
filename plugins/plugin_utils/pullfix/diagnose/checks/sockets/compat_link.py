# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of socket-compat-link-missing: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import sockets as socket_facts
from ...catalogue import SOCKET, case, finding

FINDINGS = {
    'socket-compat-link-missing': finding(
        'warning', "The conventional containerd socket path does not lead to the runtime's socket",
        SOCKET, 'consumer',
        applies_to="""runtimes that listen elsewhere than `/run/containerd/containerd.sock` (k3s, RKE2, k0s, a custom `[grpc] address`), with \
`pullfix_socket_compat_link: true`""",
        doc="""`pullfix_socket_compat_link` asks for a link at `/run/containerd/containerd.sock` to the runtime's real
socket, and there is none (or it is not a link to that socket). Tools and pods that use the conventional
path fail.
""",
        error_text='dial unix /run/containerd/containerd.sock: connect: no such file or directory',
        example="""/run/containerd/containerd.sock: missing
/run/k3s/containerd/containerd.sock: the runtime's socket"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'socket-compat-link-missing': (
        case(lambda ev, h: h.k3s(ev), {'socket_compat_link': True}),
        case(lambda ev, h: (h.k3s(ev), h.with_socket(ev, h.RUN_SOCK, kind='symlink', resolved_type='socket',
                                                     target='/run/k3s/containerd/containerd.sock')),
             {'socket_compat_link': True})),
}


def check_compat_link(ctx):
    """pullfix_socket_compat_link: the conventional path leads to the runtime's real socket."""
    if ctx.settings.get('socket_compat_link') is not True:
        return
    ev = ctx.ev
    real = socket_facts.runtime_socket(ev, ctx.runtime)
    conventional = socket_facts.CONVENTIONAL
    if not real or real == conventional or socket_facts.link_target(ev, conventional) == real:
        return
    st = socket_facts.socket_stat(ev, conventional)
    ctx.findings.add('socket-compat-link-missing', [
        '%s: %s' % (conventional, st.get('type') or 'not looked at'), '%s: the runtime\'s socket' % real], (
        'Tools and pods that expect %s (crictl\'s first default, Spegel\'s containerdSock) fail with "no such '
        'file or directory": the runtime listens at %s. pullfix_socket_compat_link asks for a link.' % (
            conventional, real)))


def check(ctx, models):
    check_compat_link(ctx)
