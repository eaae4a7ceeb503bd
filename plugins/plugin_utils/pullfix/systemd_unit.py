# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What systemd cannot read in a unit file or drop-in, by line (shared by the doctor and the planners)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_SECTION_RE = re.compile(r'^\[[A-Za-z0-9 _.-]+\]$')
_KEY_RE = re.compile(r'^[A-Za-z][A-Za-z0-9_-]*[ \t]*=')


def unit_file_problems(text, path):
    """[(line, words)] for every line systemd would ignore: neither a ``[Section]`` header, nor
    ``Key=Value``, nor a comment (systemd logs "Missing '=', ignoring line"), or a key before the
    first section ("Assignment outside of section")."""
    out = []
    section = None
    continued = False
    for no, raw in enumerate((text or '').splitlines(), 1):
        line = raw.strip()
        if continued:
            continued = line.endswith('\\')
            continue
        if not line or line.startswith(('#', ';')):
            continue
        if _SECTION_RE.match(line):
            section = line
            continue
        if not _KEY_RE.match(line):
            out.append((no, '%r is neither a [Section] header nor Key=Value (expected a systemd unit file line)'
                        % line[:60]))
            continue
        if section is None:
            out.append((no, 'Key=Value before any [Section] header (expected [Unit] or [Service] first)'))
        continued = line.endswith('\\')
    return out
