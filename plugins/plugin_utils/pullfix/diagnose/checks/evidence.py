# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Checks on the evidence itself: unreadable and truncated files."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

_KIND_TEXT = {
    'permission_denied': 'permission denied',
    'is_directory': 'a directory is in place of the file',
    'not_regular': 'not a regular file',
    'symlink_loop': 'symlink loop',
    'binary': 'binary content (NUL bytes)',
    'not_utf8': 'not valid UTF-8',
    'too_large': 'too large to read',
    'os_error': 'OS error',
    'parent_not_directory': 'a directory on its path is not a directory',
}


def check_read_errors(ctx):
    ev = ctx.ev
    lines = []
    for table in (ev.files, ev.dirs):
        for path in sorted(table):
            err = (table[path] or {}).get('error')
            if not isinstance(err, dict):
                continue
            kind = err.get('kind')
            if kind in (None, 'missing') or path in ctx.reported_paths:
                continue
            detail = err.get('message') if kind in ('not_utf8', 'binary', 'parent_not_directory') and err.get('message') \
                else None
            lines.append('%s: %s (%s)' % (path, kind, detail or _KIND_TEXT.get(kind, kind)))
    if lines:
        ctx.findings.add('evidence-read-error', lines, (
            'These files could not be read on the node, so the diagnosis cannot judge what they configure; '
            'the service that owns them may not be able to read them either.'))


def check_truncated(ctx):
    ev = ctx.ev
    lines = []
    for path in sorted(ev.files):
        entry = ev.files[path] or {}
        if entry.get('truncated'):
            lines.append('%s: truncated at %s bytes (size %s)' % (
                path, len((entry.get('content') or '').encode('utf-8')), (entry.get('stat') or {}).get('size')))
    if lines:
        ctx.findings.add('evidence-truncated', lines, (
            'These files exceed the gathering size cap; only their beginning was examined, so findings about '
            'them may be incomplete (and a truncated TOML/YAML file may be reported unparsable).'))
