# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Spegel (peer-to-peer mirror served from containerd's content store) and discard_unpacked_layers.

- `discard_unpacked_layers = true` lets containerd's GC drop the compressed layer blobs once they
  are unpacked (v1.7.0 pkg/cri/config/config.go 121-124; v2.1.0 internal/cri/config/config.go
  291-294). Spegel serves blobs from the content store, so its peers answer `content digest
  sha256:... not found` and every pull goes to the upstream registry (spegel#217; EKS enabled the
  setting by default in amazon-eks-ami#1360; Talos and GKE images also set it). Spegel checks the
  setting at start and exits (spegel PR #237), so it may also simply not run.
- Where containerd reads it: version 2 file `[plugins."io.containerd.grpc.v1.cri".containerd]`,
  version 3 file `[plugins."io.containerd.cri.v1.images"]`. containerd 2.x migrates a version 2
  file's value only when that `containerd` table also has a `runtimes` table (v2.0.0
  plugins/cri/images/plugin.go 211-214 return early, 238; v2.3.4 229-232, 256).
- On 2.1+ `discard_unpacked_layers = true` also forces the local pull path instead of the transfer
  service (v2.1.0 internal/cri/config/config.go 558-559, CheckLocalImagePullConfigs); turning it
  off on such a node switches the pull path (see facts/containerd.py).
- Spegel does not support CRI-O (spegel PR #428 closed: CRI-O keeps no compressed layers).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from .containerd import CRI_V2, IMAGES_V3, table_value

KEY = 'discard_unpacked_layers'
NOT_FOUND = 'content digest %s not found'


def discard_setting(config, containerd_major=2):
    """(value, key path) of discard_unpacked_layers as this containerd reads it from a parsed config.

    value is False when unset or when the file's table is not read (for a version 2 file on
    containerd 2.x: the `containerd` table has no `runtimes`).
    """
    version = config.get('version') if isinstance(config, dict) else None
    if version == 3:
        path = ('plugins', IMAGES_V3, KEY)
        return bool(table_value(config, path)), path
    table = ('plugins', CRI_V2 if version == 2 else 'cri', 'containerd')
    path = table + (KEY,)
    value = bool(table_value(config, path))
    if value and containerd_major >= 2 and not isinstance(table_value(config, table + ('runtimes',)), dict):
        return False, path
    return value, path


def spegel_starved(config, containerd_major=2, spegel_wanted=True):
    """True when Spegel is wanted on this node but containerd discards the blobs it would serve."""
    return bool(spegel_wanted) and discard_setting(config, containerd_major)[0]
