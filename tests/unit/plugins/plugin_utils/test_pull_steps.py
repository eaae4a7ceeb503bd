# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""A failed verification pull names the step that failed and the host; the next step fits both."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import pytest

from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes import classify, failed_step
from ansible_collections.kubenode.pullfix.plugins.plugin_utils.pullfix.diagnose.checks.routes.pull_failures import example_verify

from pullfix_helpers import get, load, run, set_containerd_version, with_file

DOCKER = 'docker.io/library/busybox:1'


@pytest.mark.parametrize('message, step', [
    ('failed to pull and unpack image "x": failed to resolve reference "x": pulling from host m:5000 failed with status code '
     '[manifests 1]: 401 Unauthorized', 'resolve'),
    ('failed to pull and unpack image "x": failed to copy: httpReadSeeker: failed open: unexpected status code '
     'https://m/v2/library/x/blobs/sha256:00: 403 Forbidden', 'blob'),
    ('failed to pull and unpack image "x": failed to extract layer sha256:00: mount callback failed: read-only file system',
     'unpack'),
    ('failed to pull and unpack image "x": failed to resolve reference "x": failed to authorize: failed to fetch oauth token: '
     'unexpected status: 401 Unauthorized', 'credentials'),
    ('failed to pull and unpack image "x": context canceled', 'timeout'),
    ('rpc error: code = Unknown desc = something else', None),
])
def test_failed_step(message, step):
    assert failed_step(message) == step


def test_progress_cancel_is_its_own_class():
    assert classify('failed to pull and unpack image "docker.io/library/big:1": context canceled') == 'pull-progress-timeout'
    assert classify('dial tcp 10.0.0.1:443: i/o timeout') == 'pull-timeout'


def _mirror_unauthorized():
    ev = load()
    msg = ('failed to pull and unpack image "%s": failed to resolve reference "%s": unexpected status from HEAD request to '
           'https://mirror.example.com/v2/library/busybox/manifests/1?ns=docker.io: 403 Forbidden' % (DOCKER, DOCKER))
    return run(ev, {'verify_images': [DOCKER], '_verify': example_verify(DOCKER, msg)})


def test_unauthorized_at_a_mirror_advises_the_mirror_header_not_a_pull_secret():
    f = get(_mirror_unauthorized(), 'pull-unauthorized')
    text = ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']
    assert 'pullfix_registry_mirrors.docker.io.headers' in text
    assert 'mirror.example.com' in text
    assert 'Give credentials for docker.io: an imagePullSecret' not in text
    assert any(e.startswith('failed step: resolve') for e in f['evidence'])


def test_unauthorized_at_the_registry_itself_advises_a_pull_secret():
    ev = load()
    img = 'registry.example.org/team/app:1'
    msg = ('failed to pull and unpack image "%s": failed to resolve reference "%s": pulling from host registry.example.org '
           'failed with status code [manifests 1]: 401 Unauthorized' % (img, img))
    f = get(run(ev, {'verify_images': [img], '_verify': example_verify(img, msg)}), 'pull-unauthorized')
    text = ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']
    assert 'imagePullSecret' in text and 'headers' not in text


def test_progress_timeout_names_the_effective_value_and_its_source():
    ev = load()
    with_file(ev, '/etc/containerd/config.toml', 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n'
              '  image_pull_progress_timeout = "45s"\n', 'containerd-config')
    set_containerd_version(ev, '1.7.24')
    msg = 'failed to pull and unpack image "docker.io/library/big:1": context canceled'
    result = run(ev, {'verify_images': ['docker.io/library/big:1'], '_verify': example_verify('docker.io/library/big:1', msg)})
    f = get(result, 'pull-progress-timeout')
    text = ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']
    assert '45s' in text and '/etc/containerd/config.toml:3' in text
    assert f['caused_by'] == 'containerd-pull-progress-timeout-short'


def test_a_cancel_on_containerd_without_the_watchdog_blames_the_caller():
    ev = load()
    set_containerd_version(ev, '1.6.20')
    msg = 'failed to pull and unpack image "docker.io/library/big:1": context canceled'
    result = run(ev, {'verify_images': ['docker.io/library/big:1'], '_verify': example_verify('docker.io/library/big:1', msg)})
    f = get(result, 'pull-progress-timeout')
    text = ' '.join(f['explanation']) if isinstance(f['explanation'], list) else f['explanation']
    assert 'not by a progress watchdog' in text and 'runtime-request-timeout' in text
