# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Well-known CRI sockets and where kubelet's endpoints are configured."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

# Default CRI socket of each runtime (k3s/RKE2 run an embedded containerd).
DEFAULT_ENDPOINTS = {
    'containerd': '/run/containerd/containerd.sock',
    'k3s': '/run/k3s/containerd/containerd.sock',
    'rke2': '/run/k3s/containerd/containerd.sock',
    'k0s': '/run/k0s/containerd.sock',
    'crio': '/var/run/crio/crio.sock',
    'docker': '/var/run/cri-dockerd.sock',
}
SHIM_SOCKET = '/var/run/image-cri-shim.sock'
K3S_CRI_DOCKERD_SOCKET = '/run/k3s/cri-dockerd/cri-dockerd.sock'
# Files kubeadm and distribution packages use for kubelet's flags.
KUBELET_FLAG_FILES = ('/var/lib/kubelet/kubeadm-flags.env', '/etc/default/kubelet', '/etc/sysconfig/kubelet')
KUBELET_CONFIG = '/var/lib/kubelet/config.yaml'
RUNTIME_FLAG = '--container-runtime-endpoint'
IMAGE_FLAG = '--image-service-endpoint'

# cri-dockerd: the sockets it listens on (upstream units: /run/cri-dockerd.sock, kubeadm looks
# at /var/run/cri-dockerd.sock) and the unit names its packages and installers use.
CRI_DOCKERD_SOCKETS = ('/var/run/cri-dockerd.sock', '/run/cri-dockerd.sock')
CRI_DOCKERD_UNITS = ('cri-docker.service', 'cri-docker.socket', 'cri-dockerd.service')
