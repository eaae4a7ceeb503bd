# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How containers-image (CRI-O, podman, skopeo) turns an image name into pull sources.

Read from github.com/containers/image pkg/sysregistriesv2/system_registries_v2.go and
pkg/shortnames/shortnames.go (v5.2x):
- files: registries.conf, then registries.conf.d/*.conf in lexical order; a later file replaces
  unqualified-search-registries and short-name-mode whole, [[registry]] entries merge by prefix
  (a later entry with the same prefix replaces the earlier one), [aliases] merge per key.
- a short name (no registry part) is first looked up in [aliases] (name without tag or digest);
  otherwise it is tried with every unqualified-search-registry in order; short-name-mode
  `enforcing` refuses a short name that would need more than one search registry.
- a qualified name uses the [[registry]] whose prefix matches it longest (a prefix matches on a
  path boundary; "*.example.com" matches subdomains); the prefix defaults to the location.
- pull sources: the mirrors in order (pull-from-mirror `all` default, `digest-only`, `tag-only`;
  mirror-by-digest-only = true on the registry means digest-only for every mirror), then the
  location itself; the reference's remainder after the prefix is appended to each location.
- `blocked = true` refuses the pull; `insecure = true` allows http and unverified TLS.
- Docker Hub: "docker.io" is served by registry-1.docker.io, and one-component names get "library/".
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

MAIN = '/etc/containers/registries.conf'
DROPIN_DIR = '/etc/containers/registries.conf.d'
SHORT_NAME_MODES = ('enforcing', 'permissive', 'disabled')
PULL_FROM_MIRROR = ('all', 'digest-only', 'tag-only')


def prefix_matches(prefix, name):
    """Whether a [[registry]] prefix matches the repository ``name`` (host/path, no tag)."""
    if prefix.startswith('*.'):
        host = name.split('/', 1)[0]
        return host.endswith(prefix[1:]) and host != prefix[2:]
    if name == prefix:
        return True
    return name.startswith(prefix) and (prefix.endswith('/') or name[len(prefix)] in '/')


def api_host(location):
    """The host that serves a location's API (Docker Hub's differs from its name)."""
    host = location.split('/', 1)[0]
    return 'registry-1.docker.io' if host in ('docker.io', 'index.docker.io') else host
