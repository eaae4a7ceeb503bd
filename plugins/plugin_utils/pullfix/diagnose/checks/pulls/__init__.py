# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""containerd's pull path: credentials, progress timeouts, the blobs a peer cache serves, the trust store:
the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import parse_version
from ....facts import pull_timeouts
from ...models.containerd import config_files

TITLE = "containerd's pull path: credentials, progress timeouts, peer caches, trust store"
RANK = 35
INTRO = """What containerd does while it pulls, beyond the route: which credentials reach a mirror, how long a pull may stall, whether \
a peer cache has blobs to serve, which CAs the running process trusts. The facts and their upstream citations live in \
`plugins/plugin_utils/pullfix/facts/` (credentials, pull_timeouts, spegel, trust_store); the brief is docs/notes/failures-2025-26.md.
"""


def config_docs(ctx):
    """[(path, data, index)] of the containerd config files (main, then imports) that parse.

    Files that do not parse are reported by the containerd config model; they are skipped here."""
    if (ctx.runtime or {}).get('name') != 'containerd':
        return []
    out = []
    for path in config_files(ctx):
        if not ctx.ev.file(path):
            continue
        r = ctx.ev.parsed(path, 'toml')
        if r is None or r[2] is not None or not isinstance(r[0], dict):
            continue
        out.append((path, r[0], r[1]))
    return out


def containerd_version(ctx):
    return parse_version((ctx.runtime or {}).get('containerd_version'))


def effective_progress_timeout(ctx):
    """(seconds or None, source text, problem or None) of containerd's image_pull_progress_timeout for CRI pulls.

    The last file (main, then imports) that sets the key in the table its version reads wins; the
    source names that file and line, or the version's default; problem says why a value written
    there is one containerd cannot use (every pull fails or the CRI plugin does not load)."""
    cv = containerd_version(ctx)
    docs = config_docs(ctx)
    for path, data, index in reversed(docs):
        table = pull_timeouts.containerd_table(data.get('version') if isinstance(data.get('version'), int) else 1)
        node = data
        for key in table:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and pull_timeouts.KEY in node:
            seconds, where = pull_timeouts.containerd_progress_timeout(cv, data)
            cite = ctx.cite_key(path, index, table + (pull_timeouts.KEY,))
            if seconds is None and cv is not None and pull_timeouts.containerd_default(cv) is None:
                return None, '%s (%s)' % (cite, where), None  # 1.6: no watchdog, the key is not known
            return seconds, cite, None if seconds is not None else where
    seconds, where = pull_timeouts.containerd_progress_timeout(cv, docs[0][1] if docs else {})
    return seconds, where, None


def duration_text(seconds):
    """Go's way of printing a duration of whole seconds: 1m0s, 5m0s, 30s; 0s = disabled."""
    if seconds is None:
        return 'none'
    s = int(seconds)
    if s % 60 == 0 and s:
        return '%dm0s' % (s // 60) if s < 3600 else '%dh%dm0s' % (s // 3600, (s % 3600) // 60)
    if s >= 60:
        return '%dm%ds' % (s // 60, s % 60)
    return '%ds' % s
