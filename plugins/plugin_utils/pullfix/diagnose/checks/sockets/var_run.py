# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of var-run-not-run: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import SOCKET, case, finding

FINDINGS = {
    'var-run-not-run': finding(
        'warning', '/var/run is not a symlink to /run and a socket exists under only one of them',
        SOCKET, 'consumer',
        applies_to='every runtime and version',
        doc="""`/var/run` is not a symlink to `/run`, and a socket exists under one of the two paths but not the other: consumers configured with the \
other path fail.
""",
        error_text='dial unix /var/run/containerd/containerd.sock: connect: no such file or directory',
        example="""/var/run: type=dir target=None
/run/containerd/containerd.sock: socket present
/var/run/containerd/containerd.sock: missing"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'var-run-not-run': (
        case(lambda ev, h: (ev.update(var_run={'type': 'dir', 'mode': '0755', 'target': None}),
                            h.with_socket(ev, '/var/run/containerd/containerd.sock', 'missing'))),
        case(lambda ev, h: ev.update(var_run={'type': 'dir', 'mode': '0755', 'target': None}))),
}


def check_var_run(ctx):
    ev = ctx.ev
    if ev.var_run_is_run():
        return
    seen = set()
    for path in sorted(ev.sockets):
        if path.startswith('/var/run/'):
            other = '/run/' + path[len('/var/run/'):]
        elif path.startswith('/run/'):
            other = '/var/run/' + path[len('/run/'):]
        else:
            continue
        key = tuple(sorted((path, other)))
        if key in seen or other not in ev.sockets:
            continue
        seen.add(key)
        here, there = ev.socket_is_present(path), ev.socket_is_present(other)
        if here != there:
            present, absent = (path, other) if here else (other, path)
            ctx.findings.add('var-run-not-run', [
                '/var/run: type=%s target=%s' % (ev.var_run.get('type'), ev.var_run.get('target')),
                '%s: socket present' % present, '%s: missing' % absent], (
                '/var/run is not a symlink to /run, so %s and %s are different paths: consumers configured '
                'with %s fail with "no such file or directory".' % (present, absent, absent)))


def check(ctx, models):
    check_var_run(ctx)
