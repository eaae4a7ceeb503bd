# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on runtime sockets: permissions, group, /var/run alias, SELinux label."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...evidence import endpoint_path
from ...facts import sockets as socket_facts

EXPECTED_SELINUX_TYPE = socket_facts.SELINUX_TYPE


def _mode(st):
    try:
        return int(str(st.get('mode')), 8)
    except (TypeError, ValueError):
        return None


def _present(ev):
    return [p for p in sorted(ev.sockets) if ev.socket_is_present(p)
            and ((ev.sockets[p].get('stat') or {}).get('type') == 'socket')]


def _desc(path, st):
    group = ' group=%s' % st['group'] if st.get('group') else ''
    return '%s: mode=%s uid=%s gid=%s%s' % (path, st.get('mode'), st.get('uid'), st.get('gid'), group)


def check_world_accessible(ctx):
    ev = ctx.ev
    for path in _present(ev):
        st = ev.sockets[path].get('stat') or {}
        mode = _mode(st)
        if mode is not None and mode & 0o002:
            ctx.findings.add('socket-world-accessible', [_desc(path, st)], (
                '%s is writable by every local user (mode %s): whoever can connect controls the runtime, '
                'which is root on the node. Grant access through a group (0660) instead.' % (path, st.get('mode'))))


def _runtime_socket_paths(ctx):
    rt = ctx.runtime or {}
    out = []
    for ep in (rt.get('endpoint'), rt.get('image_endpoint')):
        p = endpoint_path(ep)
        if p and p not in out and ctx.ev.socket_is_present(p):
            out.append(p)
    return out


def check_group(ctx):
    group = ctx.settings.get('socket_group')
    if group in (None, ''):
        return
    ev = ctx.ev
    gid, _why = socket_facts.group_gid(ev, group)
    for path in _runtime_socket_paths(ctx):
        st = ev.sockets[path].get('stat') or {}
        if st.get('type') == 'symlink':
            continue
        mode = _mode(st) or 0
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
            ctx.findings.add('socket-group-mismatch', [_desc(path, st)], (
                '%s should be usable by the group %s (pullfix_socket_group), but %s.' % (
                    path, group, ' and '.join(problems))))


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


def check_selinux(ctx):
    ev = ctx.ev
    if not ev.selinux.get('mounted'):
        return
    for path in _present(ev):
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
