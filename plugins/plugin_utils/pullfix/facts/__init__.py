# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Facts about runtimes and tools, per version, written once for the doctor and the planners.

- ``containerd``: config versions and tables, defaults, certs.d lookup, hosts.toml keys.
- ``k3s``: registries.yaml locations, generated files, releases with known bugs, services.
- ``endpoints``: well-known CRI sockets and where kubelet's endpoints are configured.
- ``shim``: Sealos image-cri-shim (unit, config, socket) and the images kubeadm pulls per version.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
