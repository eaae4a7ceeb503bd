# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Sealos image-cri-shim, its local registry and the images kubeadm pulls, per Kubernetes version.

Read by the doctor (``diagnose/checks/shim.py``) and the ``cri_shim`` planner alike.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

# What Sealos installs (image-cri-shim: pkg/types/config.go, the unit its installer writes).
SHIM_UNIT = 'image-cri-shim.service'
SHIM_CONFIG = '/etc/image-cri-shim.yaml'
SHIM_SOCKET = '/var/run/image-cri-shim.sock'
# The local registry unit Sealos runs on each node (default domain sealos.hub:5000).
REGISTRY_UNIT = 'registry.service'
KUBELET_UNIT = 'kubelet.service'
# The unit of each runtime a shim can sit in front of.
RUNTIME_UNITS = {'containerd': 'containerd.service', 'crio': 'crio.service', 'docker': 'cri-docker.service'}
# At start the shim dials its `cri` socket (pkg/shim Setup, gRPC FailOnNonTempDialError): a
# missing or refusing socket makes it exit; systemd restarts it after RestartSec=10 and kubelet
# sees "connection refused" meanwhile. It then creates its own socket with mode 0660.
SHIM_CONFIG_KEYS = ('shim', 'cri', 'address', 'force', 'debug', 'timeout', 'reloadInterval', 'auth',
                    'registries', 'image', 'sync', 'version', 'offlinePriority', 'cache')
# Keys whose values are credentials (user:password), masked wherever they would be shown.
SHIM_SECRET_KEYS = ('auth',)

DEFAULT_REPOSITORY = 'registry.k8s.io'
CONTROL_PLANE = ('kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kube-proxy')

# kubeadm's pinned images per Kubernetes minor: [(first patch, etcd tag)], CoreDNS (a tag, or
# [(first patch, tag)] when a patch release raised it), pause tag. The entry with the highest first
# patch <= the patch applies. Source: `kubeadm config images list` per release as minikube records it
# (kubernetes/minikube pkg/minikube/constants/constants_kubeadm_images.go at commit 006286b0, which
# lists every release up to v1.31.2 and v1.32.0-beta.0). Not yet compared with kubeadm's own
# cmd/kubeadm/app/constants/constants.go at each tag; patches after the last recorded one are assumed
# to keep its images, and 1.32 holds the images of v1.32.0-beta.0.
KUBEADM_IMAGES = {
    (1, 22): ([(0, '3.5.0-0'), (17, '3.5.6-0')], 'v1.8.4', '3.5'),
    (1, 23): ([(0, '3.5.1-0'), (14, '3.5.5-0'), (15, '3.5.6-0')], 'v1.8.6', '3.6'),
    (1, 24): ([(0, '3.5.3-0'), (8, '3.5.5-0'), (9, '3.5.6-0')], 'v1.8.6', '3.7'),
    (1, 25): ([(0, '3.5.4-0'), (4, '3.5.5-0'), (5, '3.5.6-0'), (15, '3.5.9-0')], 'v1.9.3', '3.8'),
    (1, 26): ([(0, '3.5.6-0'), (10, '3.5.9-0'), (13, '3.5.10-0')], 'v1.9.3', '3.9'),
    (1, 27): ([(0, '3.5.7-0'), (7, '3.5.9-0'), (10, '3.5.10-0'), (12, '3.5.12-0')], 'v1.10.1', '3.9'),
    (1, 28): ([(0, '3.5.9-0'), (6, '3.5.10-0'), (8, '3.5.12-0'), (14, '3.5.15-0')], 'v1.10.1', '3.9'),
    (1, 29): ([(0, '3.5.10-0'), (3, '3.5.12-0'), (9, '3.5.15-0')], 'v1.11.1', '3.9'),
    (1, 30): ([(0, '3.5.12-0'), (5, '3.5.15-0')], [(0, 'v1.11.1'), (5, 'v1.11.3')], '3.9'),
    (1, 31): ([(0, '3.5.15-0')], [(0, 'v1.11.1'), (1, 'v1.11.3')], '3.10'),
    (1, 32): ([(0, '3.5.16-0')], 'v1.11.3', '3.10'),
}
_VERSION_RE = re.compile(r'^v?(\d+)\.(\d+)\.(\d+)(?:[-+].*)?$')


def kube_version(text):
    """(major, minor, patch) of a Kubernetes version string ('v1.25.6'), or None."""
    m = _VERSION_RE.match(str(text or '').strip())
    return tuple(int(x) for x in m.groups()) if m else None


def kubeadm_images(version, repository=None):
    """Image references ``kubeadm config images pull`` pulls for ``version`` ('v1.25.6') from
    ``repository`` (None: registry.k8s.io), or None when the version is not recorded here.

    With the default repository CoreDNS lives at coredns/coredns; a custom imageRepository holds
    it as <repository>/coredns (kubeadm's own rule).
    """
    v = kube_version(version)
    if not v or (v[0], v[1]) not in KUBEADM_IMAGES:
        return None
    etcds, coredns, pause = KUBEADM_IMAGES[(v[0], v[1])]
    etcd = [tag for first, tag in etcds if first <= v[2]][-1]
    if not isinstance(coredns, str):
        coredns = [tag for first, tag in coredns if first <= v[2]][-1]
    repo = (repository or DEFAULT_REPOSITORY).rstrip('/')
    dns = 'coredns/coredns' if repo == DEFAULT_REPOSITORY else 'coredns'
    tag = 'v%d.%d.%d' % v
    return (['%s/%s:%s' % (repo, name, tag) for name in CONTROL_PLANE]
            + ['%s/pause:%s' % (repo, pause), '%s/etcd:%s' % (repo, etcd), '%s/%s:%s' % (repo, dns, coredns)])


def recorded_minors():
    return ['%d.%d' % k for k in sorted(KUBEADM_IMAGES)]


def shim_dropin(unit=SHIM_UNIT):
    """Path of the drop-in kubenode.pullfix owns for ``unit``."""
    return '/etc/systemd/system/%s.d/50-kubenode-pullfix.conf' % unit
