# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of evidence-read-error: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'evidence-read-error': finding(
        'warning', 'A file the diagnosis needs could not be read',
        MANUAL, 'hygiene',
        applies_to='every runtime and version',
        doc="""A file the diagnosis needs could not be read on the node: permission denied, a directory in place of the file, not a regular file, a \
symlink loop, binary content or not UTF-8. The evidence names the path and the kind.
""",
        error_text='(whatever the owning service says about the same file)',
        example='/etc/containerd/config.toml: not_utf8 (not valid UTF-8)'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'evidence-read-error': (
        case(lambda ev, h: h.with_error(ev, '/etc/crio/crio.conf', 'permission_denied', 'crio-config')),
        case(lambda ev, h: h.with_error(ev, '/etc/crio/crio.conf', 'missing', 'crio-config'))),
}


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


# It judges what the other checks read (ctx.reported_paths: unreadable files a finding of their own
# explains already), so it runs after them.
RUNS_LAST = True


def check(ctx, models):
    check_read_errors(ctx)
