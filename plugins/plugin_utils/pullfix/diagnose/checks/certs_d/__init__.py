# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""containerd certs.d and hosts.toml: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

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
