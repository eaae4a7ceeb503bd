# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Mirrors that containers-image (CRI-O, podman) uses only for some references.

Read at containers/image v5.36.1, pkg/sysregistriesv2/system_registries_v2.go:
- `mirror-by-digest-only = true` on a [[registry]]: its mirrors are used only when the reference
  carries a digest (lines 137, 152-156); a tag pull goes straight to the registry's location.
- `pull-from-mirror` on a [[registry.mirror]] (since v5.21.0): "all" (default, also empty),
  "digest-only" (skip this mirror for tag references), "tag-only" (skip it for digest
  references) (lines 45-49, 62-73, 159-169).
- A reference with both tag and digest counts as digested (`ref.(reference.Canonical)`, line 151).
- Rejected files (every pull fails, the message names the registry): `pull-from-mirror` on the
  registry itself (line 430-431 "pull-from-mirror must not be set for a non-mirror registry"),
  together with `mirror-by-digest-only` (448-449 "cannot set mirror usage mirror-by-digest-only for
  the registry (%q) and pull-from-mirror for per-mirror (%q) at the same time"), or any other value
  (451-453 "unsupported pull-from-mirror value %q for mirror %q").
- kubelet pulls what the pod spec names: `image: nginx:1.27` is a tag pull and never reaches a
  digest-only mirror; only `image: nginx@sha256:...` (or tag@digest) does.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

MIRROR_ALL = 'all'
MIRROR_DIGEST_ONLY = 'digest-only'
MIRROR_TAG_ONLY = 'tag-only'
VALUES = (MIRROR_ALL, MIRROR_DIGEST_ONLY, MIRROR_TAG_ONLY)


def is_digested(reference):
    """True when an image reference carries a digest (name@sha256:..., with or without a tag)."""
    return '@' in (reference or '')


def mirror_used(registry, mirror, digested):
    """True when containers-image tries ``mirror`` (a [[registry.mirror]] dict) of ``registry``."""
    if registry.get('mirror-by-digest-only'):
        return digested
    mode = mirror.get('pull-from-mirror') or MIRROR_ALL
    if mode == MIRROR_DIGEST_ONLY:
        return digested
    if mode == MIRROR_TAG_ONLY:
        return not digested
    return True


def mirrors_for(registry, digested):
    """Locations of the mirrors tried, in order, for a tag (digested=False) or digest pull."""
    return [m.get('location') for m in registry.get('mirror') or [] if isinstance(m, dict)
            and mirror_used(registry, m, digested)]


def tag_pulls_bypass_mirrors(registry):
    """True when the registry has mirrors but a tag pull uses none of them."""
    return bool(registry.get('mirror')) and not mirrors_for(registry, False)


def problems(registry):
    """Messages containers-image rejects this [[registry]] table with (every pull then fails)."""
    out = []
    prefix = registry.get('prefix') or registry.get('location') or ''
    if registry.get('pull-from-mirror'):
        out.append('pull-from-mirror must not be set for a non-mirror registry "%s"' % prefix)
    for mirror in registry.get('mirror') or []:
        if not isinstance(mirror, dict):
            continue
        mode = mirror.get('pull-from-mirror')
        location = mirror.get('location') or ''
        if registry.get('mirror-by-digest-only') and mode:
            out.append('cannot set mirror usage mirror-by-digest-only for the registry ("%s") and pull-from-mirror '
                       'for per-mirror ("%s") at the same time' % (prefix, location))
        elif mode and mode not in VALUES:
            out.append('unsupported pull-from-mirror value "%s" for mirror "%s"' % (mode, location))
    return out
