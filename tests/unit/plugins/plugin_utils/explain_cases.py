# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Helpers of the explain cases (pull failure classes, proxies); the cases are in the finding modules."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from pullfix_helpers import with_file, with_unit

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes.pull_failures import (
    EXAMPLE_ERRORS, example_verify)

# The real PullImage message of each class, kept with its finding module.
ERRORS = dict((fid, message) for fid, (_image, message) in EXAMPLE_ERRORS.items())
verify = example_verify


MIRROR_HOSTS = ('server = "https://registry-1.docker.io"\n\n[host."http://192.0.2.10:5000"]\n'
                '  capabilities = ["pull", "resolve"]\n')
PROXY_DROPIN = '/etc/systemd/system/containerd.service.d/http-proxy.conf'


def proxied(ev, no_proxy=None, unit='containerd.service'):
    text = '[Service]\nEnvironment="HTTP_PROXY=http://127.0.0.1:3128" "HTTPS_PROXY=http://127.0.0.1:3128"\n'
    if no_proxy is not None:
        text += 'Environment="NO_PROXY=%s"\n' % no_proxy
    path = PROXY_DROPIN.replace('containerd.service', unit)
    with_file(ev, path, text, 'unit-file')
    ev['systemd']['units'][unit]['DropInPaths'] = [path]
    with_file(ev, '/etc/containerd/certs.d/docker.io/hosts.toml', MIRROR_HOSTS, 'certs-d')
    return ev


__all__ = ['ERRORS', 'verify', 'proxied', 'with_unit']
