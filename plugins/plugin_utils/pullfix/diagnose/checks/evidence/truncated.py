# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of evidence-truncated: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'evidence-truncated': finding(
        'warning', 'A file was larger than the gathering cap and was truncated',
        MANUAL, 'hygiene',
        applies_to='every runtime and version',
        doc="""A file was larger than the gathering cap (256 KiB); only its beginning was examined.
""",
        error_text='(none)',
        example='/etc/crio/crio.conf: truncated at 262144 bytes (size 300000)'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'evidence-truncated': (
        case(lambda ev, h: h.with_file(ev, '/etc/crio/crio.conf', '[crio]\n', 'crio-config', truncated=True)),
        case()),
}


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


def check(ctx, models):
    check_truncated(ctx)
