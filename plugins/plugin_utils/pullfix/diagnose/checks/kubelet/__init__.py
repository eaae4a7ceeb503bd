# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Kubelet and CRI endpoints: the finding modules of this area, and what they share."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...runtime import classify_socket

TITLE = 'Kubelet and CRI endpoints'
RANK = 10


# kubeadm's defaultKnownCRISockets (cmd/kubeadm/app/util/runtime): the paths it looks for
KUBEADM_KNOWN = (
    ('containerd', '/var/run/containerd/containerd.sock'),
    ('crio', '/var/run/crio/crio.sock'),
    ('cri-dockerd', '/var/run/cri-dockerd.sock'),
)


def live_runtime_sockets(ev):
    """Runtime sockets that exist and answer the CRI Version call."""
    out = []
    for path in sorted(ev.sockets):
        if classify_socket(path) and ev.socket_is_present(path):
            probe = (ev.sockets[path].get('runtime_probe') or {})
            if probe.get('ok'):
                out.append(path)
    return out
