# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planner of the ``kubenode.pullfix.runtime_socket`` role (pure, no Ansible imports).

Points the runtime socket's consumers at the socket the runtime really serves and lets them in
safely:

- ``/etc/crictl.yaml``: its endpoints name the real socket (a minimal edit, comments kept);
- ``pullfix_socket_consumers``: a drop-in per unit that orders it after the runtime and waits
  (bounded) for the socket, validated with ``systemd-analyze verify``;
- ``pullfix_socket_compat_link``: a tmpfiles.d entry that links the conventional path to the
  real socket (``/run`` is a tmpfs: the entry recreates the link at every boot);
- ``pullfix_socket_group``: containerd's ``[grpc] gid`` (socket 0660), never world access; a
  world-accessible socket is set back to 0660;
- SELinux (only when it is enabled): a file-context rule and a relabel of the socket's
  directory only.

Actions that are no file (chmod/chgrp of the socket, creating the link now, the SELinux
commands) are returned under ``commands`` as argv lists; the pipeline runs them after the files,
never in check mode.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath
import re

from .. import PlanError, change, file_state, finish, new_plan, sha256_text, state_reason
from ..owned import cannot_replace, is_ours, marker, not_ours, nothing_to_do, owned_file, same_but_marker
from ..settings import describe, planner_inputs
from ...facts import containerd as containerd_facts
from ...facts import sockets as facts

ROLE = 'runtime_socket'
VALIDATE_CONFIG = ['containerd', '--config', '%s', 'config', 'dump']
_CRICTL_KEY_RE = re.compile(r'^(runtime-endpoint|image-endpoint)[ \t]*:[ \t]*(.*?)[ \t]*(#.*)?$')


# ---------------------------------------------------------------- settings
def check_settings(settings):
    """(consumer units, compat link, group) from the settings. Raises PlanError naming the setting."""
    consumers = settings.get('socket_consumers')
    if consumers in (None, ''):
        consumers = []
    if not isinstance(consumers, list):
        raise PlanError('pullfix_socket_consumers: expected a list of systemd unit names, got %s' % describe(consumers))
    units = []
    for i, name in enumerate(consumers):
        unit = facts.unit_name(name)
        if unit is None:
            raise PlanError('pullfix_socket_consumers[%d]: %r is not a systemd unit name (expected e.g. spegel or '
                            'spegel.service)' % (i, name))
        if not unit.endswith('.service'):
            raise PlanError('pullfix_socket_consumers[%d]: %r is not a service; only services get an ExecStartPre '
                            'wait' % (i, name))
        if unit not in units:
            units.append(unit)
    compat = settings.get('socket_compat_link', False)
    if compat is None:
        compat = False
    if not isinstance(compat, bool):
        raise PlanError('pullfix_socket_compat_link: %r is not a boolean (expected true or false)' % (compat,))
    group = settings.get('socket_group')
    if group == '':
        group = None
    if group is not None and (isinstance(group, bool) or not isinstance(group, (str, int))
                              or (isinstance(group, int) and group < 0)
                              or (isinstance(group, str) and not re.match(r'^[A-Za-z0-9_][A-Za-z0-9_.-]*\$?$', group))):
        raise PlanError('pullfix_socket_group: %r is not a group name or a gid' % (group,))
    return units, compat, group


# ---------------------------------------------------------------- crictl
def crictl_text(text, endpoint, socket_present):
    """/etc/crictl.yaml with runtime-endpoint (and a dangling image-endpoint) set to ``endpoint``.

    A minimal, line-based edit of the top-level keys, comments and other keys kept. Returns
    (new text, reasons) or (None, [why]) when the file's shape is not understood.
    """
    lines = (text or '').split('\n')
    seen = {}
    reasons = []
    for i, line in enumerate(lines):
        m = _CRICTL_KEY_RE.match(line)
        if not m:
            continue
        key, value, comment = m.group(1), m.group(2).strip('\'"'), m.group(3)
        if key in seen:
            return None, ['%s:%d: %s is set twice; fix the file by hand' % (facts.CRICTL, i + 1, key)]
        seen[key] = i
        if value == endpoint:
            continue
        if key == 'image-endpoint' and value and socket_present(value):
            continue  # an image service of its own (an image proxy) that exists: left alone
        lines[i] = '%s: %s%s' % (key, endpoint, ' ' + comment if comment else '')
        reasons.append('%s %s -> %s' % (key, value or '(empty)', endpoint))
    if 'runtime-endpoint' not in seen:
        if lines and lines[-1] == '':
            lines.insert(len(lines) - 1, 'runtime-endpoint: %s' % endpoint)
        else:
            lines.append('runtime-endpoint: %s' % endpoint)
        reasons.append('runtime-endpoint set to %s' % endpoint)
    out = '\n'.join(lines)
    if not out.endswith('\n'):
        out += '\n'
    return out, reasons


def plan_crictl(ev, real, result):
    endpoint = 'unix://' + real
    state, text = file_state(ev, facts.CRICTL)
    if state not in ('missing', 'file'):
        result['notes'].append('%s: %s; not changed' % (facts.CRICTL, state_reason(ev, facts.CRICTL, state)))
        return
    if state == 'missing' and real == facts.CONVENTIONAL:
        return  # crictl's first default is the real socket already

    def present(value):
        path = value[len('unix://'):] if value.startswith('unix://') else value
        return ev.socket_is_present(path)
    new, reasons = crictl_text(text if state == 'file' else '', endpoint, present)
    if new is None:
        result['errors'].extend(reasons)
        return
    if state == 'file' and new == text:
        return
    result['changes'].append(change(facts.CRICTL, 'update' if state == 'file' else 'create', new,
                                    'crictl endpoints: ' + '; '.join(reasons), ROLE, expect=sha256_text(text)))


# ---------------------------------------------------------------- compatibility link
def tmpfiles_text(real):
    return ('%s\n# /run is a tmpfs: systemd-tmpfiles recreates this link at every boot.\n'
            'L %s - - - - %s\n' % (marker(ROLE), facts.CONVENTIONAL, real))


def plan_compat(ev, real, compat, result):
    state, text = file_state(ev, facts.TMPFILES)
    ours = state == 'file' and is_ours(text)
    if state not in ('missing', 'file') or (state == 'file' and not ours):
        if compat:
            result['errors'].append(cannot_replace(ev, facts.TMPFILES, state) if state != 'file'
                                    else not_ours(facts.TMPFILES, 'not replaced'))
        return
    if not compat or real == facts.CONVENTIONAL:
        if ours:
            why = 'pullfix_socket_compat_link is false' if not compat else 'the runtime listens at %s itself' % real
            result['changes'].append(change(facts.TMPFILES, 'remove', None, 'compatibility link entry: %s' % why, ROLE,
                                            expect=sha256_text(text)))
            if facts.link_target(ev, facts.CONVENTIONAL) == real and real != facts.CONVENTIONAL:
                result['commands'].append({'argv': ['rm', '-f', facts.CONVENTIONAL],
                                           'reason': 'remove the compatibility link %s' % facts.CONVENTIONAL})
        elif compat:
            result['notes'].append('the runtime listens at %s: no compatibility link needed' % real)
        return
    kind = facts.socket_kind(ev, facts.CONVENTIONAL)
    target = facts.link_target(ev, facts.CONVENTIONAL)
    if kind in ('socket', 'file', 'dir', 'other') or (kind == 'symlink' and target != real):
        what = {'socket': 'a socket another runtime serves', 'file': 'a regular file', 'dir': 'a directory',
                'other': 'a special file', 'symlink': 'a symlink to %s' % target}[kind]
        result['errors'].append('%s: is %s; the compatibility link to %s is not made over it (remove it by hand '
                                'if it is stale)' % (facts.CONVENTIONAL, what, real))
        return
    content = tmpfiles_text(real)
    if not (ours and (text == content or same_but_marker(text, content))):
        result['changes'].append(change(facts.TMPFILES, 'update' if state == 'file' else 'create', content,
                                        'compatibility link %s -> %s, recreated at boot' % (facts.CONVENTIONAL, real),
                                        ROLE, expect=sha256_text(text)))
    if target != real:
        if kind == 'dangling':
            result['commands'].append({'argv': ['rm', '-f', facts.CONVENTIONAL],
                                       'reason': 'remove the dangling link %s' % facts.CONVENTIONAL})
        result['commands'].append({'argv': ['systemd-tmpfiles', '--create', facts.TMPFILES],
                                   'reason': 'link %s -> %s now' % (facts.CONVENTIONAL, real)})


# ---------------------------------------------------------------- consumers
def dropin_text(runtime_units, real, seconds=facts.WAIT_SECONDS):
    units = ' '.join(runtime_units)
    head = '%s\n# Start after the container runtime and wait (at most %d s) for its socket %s.\n' % (
        marker(ROLE), seconds, real)
    unit = '[Unit]\nAfter=%s\nWants=%s\n' % (units, units) if units else ''
    return '%s%s\n[Service]\nExecStartPre=%s\n' % (head, unit, facts.wait_command(real, seconds))


def plan_consumers(ev, runtime, real, units, result):
    if not units:
        return
    if not ev.systemd_available:
        result['errors'].append('systemd was not readable on this node; the drop-ins of %s were not planned' %
                                ', '.join(units))
        return
    runtime_units = facts.runtime_units(ev, runtime)
    not_found = set(((ev.raw.get('systemd') or {}).get('not_found') or []))
    for unit in units:
        path = facts.dropin_path(unit)
        if ev.unit(unit) is None:
            why = 'no such unit' if unit in not_found else 'not in the evidence'
            result['notes'].append('%s: %s (pullfix_socket_consumers); nothing written for it' % (unit, why))
            continue
        if unit in runtime_units:
            result['notes'].append('%s: is the runtime itself; not ordered after itself' % unit)
            continue
        owned_file(ev, path, dropin_text(runtime_units, real),
                   '%s starts after %s and waits for %s' % (unit, ', '.join(runtime_units), real), ROLE, result,
                   validate=facts.verify_dropin_argv(unit), restart=['systemd', unit[:-len('.service')]])


# ---------------------------------------------------------------- access
def grpc_gid_text(text, gid, path):
    """config.toml with `[grpc] gid = <gid>`, a minimal edit keeping comments (tomlkit)."""
    from ..containerd_registry.config_toml import _require_tomlkit
    _require_tomlkit()
    import tomlkit
    try:
        doc = tomlkit.parse(text or '')
    except Exception as exc:  # tomlkit raises its own ParseError subclasses
        return None, '%s:%s: %s; the file is left as it is' % (path, getattr(exc, 'line', '?'), exc)
    grpc = doc.get('grpc')
    if grpc is not None and not hasattr(grpc, 'keys'):
        return None, '%s: grpc is not a table; the file is left as it is' % path
    if grpc is None:
        doc['grpc'] = tomlkit.table()
        grpc = doc['grpc']
    current = grpc.get('gid')
    if current == gid and not isinstance(current, bool):
        return text, None
    indent = next((item.trivia.indent for key, item in grpc.value.body if key is not None), '') \
        if hasattr(grpc, 'value') else ''
    existed = 'gid' in grpc
    grpc['gid'] = gid
    if not existed and indent:
        grpc['gid'].trivia.indent = indent
    return tomlkit.dumps(doc), None


def plan_access(ev, runtime, real, group, result):
    st = facts.socket_stat(ev, real)
    if st.get('type') != 'socket':
        return
    mode = facts.mode_of(st)
    gid = None
    if group is not None:
        gid, why = facts.group_gid(ev, group)
        if gid is None:
            result['errors'].append('pullfix_socket_group: %s' % why)
            return
    name = (runtime or {}).get('name')
    if gid is not None and name == 'containerd':
        path = containerd_facts.config_file(ev)
        state, text = file_state(ev, path)
        if state not in ('missing', 'file'):
            result['errors'].append('%s: %s; [grpc] gid not set' % (path, state_reason(ev, path, state)))
            return
        new, err = grpc_gid_text(text if state == 'file' else '', gid, path)
        if err:
            result['errors'].append(err)
            return
        if new != text:
            result['changes'].append(change(path, 'update' if state == 'file' else 'create', new,
                                            'config.toml: [grpc] gid = %d (pullfix_socket_group %s), socket 0660' % (
                                                gid, group), ROLE, validate=VALIDATE_CONFIG, restart='containerd',
                                            expect=sha256_text(text)))
    elif gid is not None:
        result['notes'].append('%s generates its own socket settings: the group of %s is set now, and again after '
                               'each restart only by this role' % (name, real))
    if gid is not None and st.get('gid') != gid:
        result['commands'].append({'argv': ['chgrp', str(gid), real],
                                   'reason': '%s: group %s -> %s' % (real, st.get('gid'), gid)})
    if mode is not None and (mode & 0o007 or (gid is not None and mode & 0o060 != 0o060)):
        world = ' (was world-accessible)' if mode & 0o007 else ''
        result['commands'].append({'argv': ['chmod', facts.SOCKET_MODE, real],
                                   'reason': '%s: mode %s -> %s%s' % (real, st.get('mode'), facts.SOCKET_MODE, world)})


# ---------------------------------------------------------------- SELinux
def plan_selinux(ev, real, result):
    if not ev.selinux.get('mounted'):
        return  # SELinux disabled: no label to keep, nothing to do
    label = (ev.socket(real) or {}).get('selinux_label')
    if not label:
        return
    have = facts.selinux_type(label)
    if have == facts.SELINUX_TYPE:
        return
    for argv in facts.selinux_commands(real):
        result['commands'].append({'argv': argv, 'reason': 'SELinux: %s is %s, expected %s' % (
            posixpath.dirname(real), have, facts.SELINUX_TYPE)})


# ---------------------------------------------------------------- pods
def pod_note(ev, runtime, real):
    values = facts.pod_values(real, facts.certs_dir(ev, runtime))
    return ('pods that use the runtime socket (Spegel): containerdSock: "%s", containerdRegistryConfigPath: "%s", '
            'seLinuxOptions.type: %s' % (values['containerdSock'], values['containerdRegistryConfigPath'],
                                         values['seLinuxOptions']['type']))


# ---------------------------------------------------------------- plan
def plan(ev, diagnosis, settings):
    """Plan the runtime_socket role. Raises PlanError on invalid settings (before planning)."""
    ev, diagnosis, runtime, settings = planner_inputs(ev, diagnosis, settings)
    units, compat, group = check_settings(settings)
    result = new_plan()
    result['commands'] = []
    real = facts.runtime_socket(ev, runtime)
    if not real:
        result['notes'].append(nothing_to_do('runtime socket', 'the runtime and its socket are not known on this node'))
        return finish(result)
    kind = facts.socket_kind(ev, real)
    if kind in (None, 'missing'):
        # Pointing crictl, consumers or a link at a socket nothing listens on would break what works
        # now (crictl's defaults, for one): the runtime must be up first, and the doctor says why not.
        result['notes'].append('%s: the runtime socket does not exist (the runtime is not running, or not '
                               'where it is expected); nothing is pointed at it' % real)
        return finish(result)
    if kind in ('file', 'dir', 'dangling', 'other'):
        what = {'file': 'a regular file', 'dir': 'a directory', 'dangling': 'a symlink to nothing',
                'other': 'a special file'}[kind]
        # A note, not an error: the doctor reports it, and other roles' fixes (often the cause)
        # must not be held back by it.
        result['notes'].append('%s: the runtime socket path is %s, not a socket; nothing planned for the socket\'s '
                               'consumers (remove it and restart the runtime)' % (real, what))
        return finish(result)
    plan_crictl(ev, real, result)
    plan_compat(ev, real, compat, result)
    plan_consumers(ev, runtime, real, units, result)
    plan_access(ev, runtime, real, group, result)
    plan_selinux(ev, real, result)
    result['notes'].append(pod_note(ev, runtime, real))
    return finish(result)
