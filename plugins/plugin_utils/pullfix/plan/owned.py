# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Files kubenode.pullfix owns: one marker, one refusal, one step for every planner.

An owned file (a drop-in, a hosts.toml, a helper script) is written whole, and is known as ours
by its marker line: the first line, or the second after a ``#!`` line. A file at an owned path
that does not carry a marker is someone else's and is never written over (unless the caller
takes it over, with a backup, because the user declared what it should say).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from . import change, file_state, sha256_text, state_reason

MARKER_FORM = '# Managed by kubenode.pullfix (%s). Changes here are overwritten.'
# Earlier releases wrote the marker in other words; their files are ours as well.
_MARKER_RE = re.compile(r'^# Managed by kubenode\.pullfix \(([a-z_]+)(?: role)?\)[.:] '
                        r'(?:Changes here|Local edits|edits here) are overwritten\.$')
# The one refusal: the start of every error and note about a file in the way of an owned one.
NOT_OURS = 'exists and is not managed by kubenode.pullfix'


def marker(role):
    """The marker line of a file ``role`` writes."""
    return MARKER_FORM % role


def _marker_index(lines):
    return 1 if lines and lines[0].startswith('#!') else 0


def owner(text):
    """The role whose marker ``text`` carries, or None."""
    if not text:
        return None
    lines = text.lstrip('\ufeff').split('\n', 2)
    i = _marker_index(lines)
    if i >= len(lines):
        return None
    m = _MARKER_RE.match(lines[i].rstrip('\r'))
    return m.group(1) if m else None


def is_ours(text, role=None):
    """Whether ``text`` carries a kubenode.pullfix marker (of ``role``, when given)."""
    found = owner(text)
    return found is not None and (role is None or found == role)


def _without_marker(text):
    lines = (text or '').lstrip('\ufeff').split('\n')
    i = _marker_index(lines)
    return '\n'.join(lines[:i] + lines[i + 1:])


def same_but_marker(current, content):
    """Whether an owned file differs from ``content`` only in the words of its marker (an earlier
    release's): not rewritten for that alone, so an upgrade restarts nothing."""
    return current is not None and is_ours(current) and _without_marker(current) == _without_marker(content)


def nothing_to_do(subject, why):
    """The one form of a note that says a role has nothing to do here, and why."""
    return '%s: %s; nothing to do' % (subject, why)


def not_ours(path, advice):
    """The refusal for a file in the way of an owned one."""
    return '%s: %s; %s' % (path, NOT_OURS, advice)


def cannot_replace(ev, path, state):
    """The refusal for a path that is no regular file read whole (a directory, a partial read)."""
    return '%s: %s; not replaced' % (path, state_reason(ev, path, state))


def owned_file(ev, path, content, reason, role, result, restart=None, validate=None, mode=None, secret=False,
               takeover=False, enforce_mode=False, advice='move it away or merge it by hand'):
    """Plan an owned file: state, refuse if not ours, skip if equal, create or update with ``expect``.

    ``takeover``: a file that is not ours is replaced (the user declared its content; the apply
    step keeps a backup). ``mode``: the mode a new file gets; with ``enforce_mode`` an existing
    file of another mode is rewritten too (a file holding credentials). Returns 'refused', 'same'
    or 'planned'.
    """
    state, current = file_state(ev, path)
    if state not in ('missing', 'file'):
        result['errors'].append(cannot_replace(ev, path, state))
        return 'refused'
    ours = state == 'file' and is_ours(current)
    if state == 'file' and not ours and not takeover:
        result['errors'].append(not_ours(path, advice))
        return 'refused'
    have_mode = ((ev.file(path) or {}).get('stat') or {}).get('mode')
    if ours and (current == content or same_but_marker(current, content)) and (not enforce_mode or have_mode in (None, mode)):
        return 'same'
    result['changes'].append(change(path, 'update' if state == 'file' else 'create', content, reason, role,
                                    mode=mode, validate=validate, restart=restart, secret=secret,
                                    expect=sha256_text(current)))
    return 'planned'
