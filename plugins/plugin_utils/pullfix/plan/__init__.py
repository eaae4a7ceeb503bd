# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Planning: what each remediation role wants on the node, as a list of Change records.

A planner is a pure function ``plan(ev, diagnosis, settings) -> Plan`` over the evidence, the
diagnosis of that evidence (never made again by a planner) and the user's settings (plain Python
data, see ``settings.planner_inputs``).
Every role's changes go to the node in one call of ``kubenode.pullfix.apply_changes``.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import hashlib


class PlanError(Exception):
    """Invalid settings; the message names the setting key. Nothing is planned, nothing written."""


# The fields of a Change, as the apply module reads them.
CHANGE_FIELDS = ('path', 'action', 'content', 'mode', 'validate', 'restart', 'reason', 'secret',
                 'expect', 'remove_empty_parent', 'role')


def change(path, action, content, reason, role, mode=None, validate=None, restart=None, secret=False,
           expect=None, remove_empty_parent=False):
    """One file the node should hold (or lose).

    ``action``: create | update | remove. ``mode``: octal string, or None to keep the file's own
    (0644 for a new file). ``validate``: argv with ``%s`` for the candidate file, run on the node
    before it replaces anything. ``restart``: the service key whose restart makes the change take
    effect (handlers listen for it), or None. ``expect``: sha256 of the bytes the plan was made
    from: the node refuses to replace a file that changed since it was gathered. ``secret``: the
    content holds credentials (never shown, written 0600).
    """
    return {'path': path, 'action': action, 'content': content, 'mode': mode, 'validate': validate,
            'restart': restart, 'reason': reason, 'secret': bool(secret), 'expect': expect,
            'remove_empty_parent': bool(remove_empty_parent), 'role': role}


def new_plan():
    """An empty plan: changes, notes (said to the user), errors (nothing of this role is written),
    secrets (every credential string the planned or replaced contents hold, for the apply step
    to mask in diffs, logs and reports)."""
    return {'changes': [], 'notes': [], 'errors': [], 'secrets': []}


def finish(result):
    """The plan as handed over: secrets unique and sorted, longest first (so masking a secret
    never leaves a longer one that contains it half shown)."""
    result['secrets'] = sorted(set(s for s in result.get('secrets') or [] if s), key=lambda s: (-len(s), s))
    return result


def sha256_text(text):
    return hashlib.sha256(text.encode('utf-8', 'surrogatepass')).hexdigest() if text is not None else None


def file_state(ev, path):
    """How a node file stands for planning: (state, text).

    state: ``missing``; ``file`` (read whole: text is its exact content); ``truncated`` (larger
    than the gathering cap: must never be rewritten from the partial copy); ``unreadable``
    (error reading it, e.g. not UTF-8, NUL bytes, permission); ``other`` (a directory, FIFO,
    socket or device where a file belongs). A symlink to a regular file counts as that file.
    """
    entry = ev.file(path)
    if not entry:
        return 'missing', None
    st = (entry.get('stat') or {})
    kind = st.get('type')
    err = entry.get('error') or {}
    if kind in (None, 'missing') or err.get('kind') == 'missing':
        return 'missing', None
    if err.get('kind') in ('is_directory', 'not_regular'):
        return 'other', None
    if kind not in ('file', 'symlink'):
        return 'other', None
    if entry.get('truncated'):
        return 'truncated', None
    text = entry.get('content')
    # Any read error makes whatever content came with it partial: never a base to rewrite from.
    if text is None or err or not isinstance(text, str):
        return 'unreadable', None
    return 'file', text


def state_reason(ev, path, state):
    """Words for a file state that stops planning, naming why."""
    entry = ev.file(path) or {}
    err = entry.get('error') or {}
    if state == 'truncated':
        size = (entry.get('stat') or {}).get('size')
        return 'larger than the gathering cap (%s bytes): never rewritten from a partial read' % (size,)
    if state == 'other':
        return err.get('message') or 'not a regular file'
    return err.get('message') or err.get('kind') or 'could not be read'


def overlay(ev, changes):
    """The evidence as the node will hold it once ``changes`` are applied, for the next planner.

    Roles are planned one after another, each on what the roles before it will have written, so
    two roles can edit one file (config.toml: ``config_path`` and ``[grpc] gid``) without one
    losing the other's edit. Only the files change; directory listings stay as gathered.
    """
    if not changes:
        return ev
    raw = dict(ev.raw)
    files = dict(raw.get('files') or {})
    for c in changes:
        entry = dict(files.get(c['path']) or {'why': ['planned']})
        stat = dict(entry.get('stat') or {})
        if c['action'] == 'remove':
            stat.update(type='missing', size=None)
            entry.update(stat=stat, content=None, error={'kind': 'missing', 'message': 'removed by the plan'},
                         truncated=False)
        else:
            content = c.get('content') or ''
            if stat.get('type') not in ('file', 'symlink'):
                stat['type'] = 'file'
            stat.update(size=len(content.encode('utf-8', 'surrogatepass')))
            if c.get('mode'):
                stat['mode'] = c['mode']
            entry.update(stat=stat, content=content, error=None, truncated=False)
        files[c['path']] = entry
    raw['files'] = files
    return type(ev)(raw)


def _keys(restart):
    if not restart:
        return []
    return [restart] if isinstance(restart, str) else list(restart)


def merge_changes(changes):
    """One change per path: a file that several roles edit (each planned on the previous one's
    result, see ``overlay``) goes to the node once, checked against the original, with the last
    content, every role's reason and every restart its edits need. A file created and then removed
    within one plan is dropped."""
    by_path, order = {}, []
    for c in changes:
        if c['path'] not in by_path:
            by_path[c['path']] = [c]
            order.append(c['path'])
        else:
            by_path[c['path']].append(c)
    out = []
    for path in order:
        group = by_path[path]
        if len(group) == 1:
            out.append(group[0])
            continue
        first, last = group[0], group[-1]
        existed = first['action'] != 'create'
        if last['action'] == 'remove':
            if not existed:
                continue
            action = 'remove'
        else:
            action = 'update' if existed else 'create'
        restart, roles = [], []
        for c in group:
            restart.extend(k for k in _keys(c.get('restart')) if k not in restart)
            if c.get('role') and c['role'] not in roles:
                roles.append(c['role'])
        merged = dict(last)
        merged.update(
            action=action, expect=first.get('expect'), role=', '.join(roles),
            reason='; '.join('%s: %s' % (c.get('role'), c.get('reason')) for c in group),
            restart=(restart[0] if len(restart) == 1 else restart) or None,
            secret=any(c.get('secret') for c in group),
            mode=next((c['mode'] for c in reversed(group) if c.get('mode')), None),
            validate=next((c['validate'] for c in reversed(group) if c.get('validate')), None))
        out.append(merged)
    return out
