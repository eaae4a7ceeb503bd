# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of socket-consumer-unordered, socket-consumer-unit-missing: catalogue entries and user text,
the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....facts import sockets as socket_facts
from ...catalogue import MANUAL, SOCKET, case, finding

FINDINGS = {
    'socket-consumer-unordered': finding(
        'warning', 'A consumer of the runtime socket may start before the runtime serves it',
        SOCKET, 'consumer',
        applies_to='systemd units named in `pullfix_socket_consumers`, every runtime',
        doc="""A unit named in `pullfix_socket_consumers` has no `After=` on the runtime's unit, or no wait for the
runtime's socket before it starts: after a reboot, on a newly joined node, or when the runtime restarts,
it can start before the socket exists (Spegel incident).
""",
        error_text="""dial unix /run/k3s/containerd/containerd.sock: connect: no such file or directory
dial unix /run/containerd/containerd.sock: connect: connection refused""",
        example="""spegel-standin.service: After=basic.target sysinit.target system.slice
spegel-standin.service: no wait for /run/k3s/containerd/containerd.sock before start"""),
    'socket-consumer-unit-missing': finding(
        'warning', 'A unit named in pullfix_socket_consumers does not exist',
        MANUAL, 'consumer',
        applies_to='systemd units named in `pullfix_socket_consumers`',
        doc="""systemd has no unit of that name (`LoadState=not-found`), so nothing is ordered or waits for it. The
`runtime_socket` role writes nothing for it and says so; fix the name or install the consumer first.

Error text: none; the name is simply never used.
""",
        example='spegel.service: LoadState=not-found'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'socket-consumer-unordered': (
        case(lambda ev, h: h.with_unit(ev, 'spegel.service', After=['basic.target']), {'socket_consumers': ['spegel']}),
        case(lambda ev, h: (h.with_unit(ev, 'spegel.service', After=['basic.target', 'containerd.service'],
                                        DropInPaths=['/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf']),
                            h.with_file(ev, '/etc/systemd/system/spegel.service.d/50-pullfix-runtime-socket.conf',
                                        'ExecStartPre=... [ ! -S /run/containerd/containerd.sock ] ...\n', 'socket-consumer')),
             {'socket_consumers': ['spegel']})),
    'socket-consumer-unit-missing': (
        case(lambda ev, h: ev['systemd'].setdefault('not_found', []).append('spegel.service'), {'socket_consumers': ['spegel']}),
        case(lambda ev, h: ev['systemd'].setdefault('not_found', []).append('spegel.service'), {'socket_consumers': []})),
}


# ---------------------------------------------------------------- consumers (pullfix_socket_consumers)
def _consumer_units(ctx):
    names = ctx.settings.get('socket_consumers') or []
    out = []
    for name in names if isinstance(names, list) else []:
        unit = socket_facts.unit_name(name)
        if unit and unit not in out:
            out.append(unit)
    return out


def check_consumers(ctx):
    """Consumers named by the user: they exist, start after the runtime and wait for its socket."""
    ev = ctx.ev
    units = _consumer_units(ctx)
    if not units or not ev.systemd_available:
        return
    real = socket_facts.runtime_socket(ev, ctx.runtime)
    runtime_units = socket_facts.runtime_units(ev, ctx.runtime)
    not_found = set(((ev.raw.get('systemd') or {}).get('not_found') or []))
    for unit in units:
        info = ev.unit(unit)
        if info is None:
            if unit in not_found:
                ctx.findings.add('socket-consumer-unit-missing', ['%s: LoadState=not-found' % unit], (
                    '%s is named in pullfix_socket_consumers, but systemd has no such unit: nothing is ordered or '
                    'waits for the runtime for it. Fix the name, or install the consumer first.' % unit))
            continue
        if unit in runtime_units:
            continue
        after = info.get('After') or []
        dropin = socket_facts.dropin_path(unit)
        waits = dropin in (info.get('DropInPaths') or []) and real and real in (ev.text(dropin) or '')
        missing = [u for u in runtime_units if u not in after]
        if missing or not waits:
            lines = ['%s: After=%s' % (unit, ' '.join(after) or '(none)')]
            if not waits:
                lines.append('%s: no wait for %s before start' % (unit, real))
            ctx.findings.add('socket-consumer-unordered', lines, (
                '%s connects to the runtime socket but %s: after a reboot, or on a newly joined node, it can start '
                'before %s serves %s and fail with "connect: no such file or directory" or "connection refused".' % (
                    unit, 'is not ordered after %s' % ', '.join(missing) if missing else 'does not wait for the socket',
                    ', '.join(runtime_units) or 'the runtime', real)))


def check(ctx, models):
    check_consumers(ctx)
