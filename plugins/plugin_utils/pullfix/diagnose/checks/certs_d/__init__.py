# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""containerd certs.d and hosts.toml: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import posixpath

from ....facts.k3s import is_generated as is_generated_path
from ...models.containerd import certs_roots

TITLE = 'containerd certs.d and hosts.toml'
RANK = 30


def server_and_host_urls(data):
    out = []
    if isinstance(data.get('server'), str):
        out.append((('server',), data['server'], bool(data.get('override_path'))))
    hosts = data.get('host') if isinstance(data.get('host'), dict) else {}
    for url, conf in hosts.items():
        conf = conf if isinstance(conf, dict) else {}
        out.append((('host', url), url, bool(conf.get('override_path'))))
    return out


def never_matches(name):
    """A certs.d entry name with a URL scheme or separator: no lookup of containerd ever reads it."""
    return name in ('http:', 'https:') or '://' in name or '/' in name or name.endswith(':')


def load_hosts_toml(ctx, path):
    """Parsed (data, index) of a hosts.toml, or None (absent, or unparsable: hosts-toml-unparsable)."""
    return ctx.load(path, 'toml', 'hosts-toml-unparsable', 'The hosts.toml') if ctx.ev.file(path) else None


def host_dirs(ctx):
    """(root, names) of every certs.d root the evidence lists; names: its host directory entries."""
    for root in certs_roots(ctx):
        entries = ctx.ev.dir_entries(root)
        if entries is not None:
            yield root, set(e.get('name') for e in entries if e.get('type') in ('dir', 'symlink'))


def host_dir_entries(ctx, root, names):
    """(name, directory, hosts.toml path, (data, index) or None) of each host directory of ``root`` in name
    order; the hosts.toml is read where containerd reads it (not in k3s's generated certs.d, not under a
    name no lookup matches)."""
    generated = is_generated_path(root + '/')
    for name in sorted(names):
        sub = posixpath.join(root, name)
        path = posixpath.join(sub, 'hosts.toml')
        yield name, sub, path, None if generated or never_matches(name) else load_hosts_toml(ctx, path)
