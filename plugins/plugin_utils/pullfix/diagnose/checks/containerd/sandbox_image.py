# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of sandbox-image-not-local: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ....evidence import image_registry, url_host
from ....facts import containerd as facts
from ...catalogue import CONTAINERD, case, finding
from ...models.containerd import containerd_in_use, cversion

FINDINGS = {
    'sandbox-image-not-local': finding(
        'error', 'The sandbox (pause) image comes from another registry than the local one',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files), '
                   'either pull path (the sandbox image does not depend on it)',
        causes=('containerd-sandbox-image-ignored', 'containerd-import-replaces-cri-table'),
        doc="""`pullfix_local_registry` or `pullfix_sandbox_image` is set, and the effective sandbox (pause) image (1.x `sandbox_image`, 2.x \
`pinned_images.sandbox`, else the built-in `registry.k8s.io/pause`) comes from another registry. Offline nodes cannot start any pod.
The image is containerd's own where it says it (`containerd config dump`, else CRI Status `info.config.sandboxImage`
on 1.6/1.7), else the model's reading of the files; a difference is reported as `runtime-model-disagrees`.
""",
        error_text="""Failed to create pod sandbox: rpc error: code = Unknown desc = failed to get sandbox image "registry.k8s.io/pause:3.6": failed \
to pull image "registry.k8s.io/pause:3.6": failed to pull and unpack image "registry.k8s.io/pause:3.6": failed to resolve reference \
"registry.k8s.io/pause:3.6": failed to do request: Head "https://registry.k8s.io/v2/pause/manifests/3.6": dial tcp: lookup registry.k8s.io: no such \
host""",
        example='/etc/containerd/config.toml:4 sandbox_image = "registry.k8s.io/pause:3.9"'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'sandbox-image-not-local': [(
        # only pullfix_local_registry: containerd_registry would not change the sandbox image, the finding says
        # which setting would
        case(None, {'local_registry': 'sealos.hub:5000'},
             {'remediation': 'manual', 'next_step': 'set pullfix_sandbox_image to sealos.hub:5000/pause:3.9'}),
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD.replace('registry.k8s.io/pause:3.9', 'sealos.hub:5000/pause:3.9') +
                                 '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
             {'local_registry': 'http://sealos.hub:5000'})), (
        # pullfix_sandbox_image set: the role writes it
        case(None, {'sandbox_image': 'sealos.hub:5000/pause:3.9'}),
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD.replace('registry.k8s.io/pause:3.9', 'sealos.hub:5000/pause:3.9') +
                                 '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
             {'sandbox_image': 'sealos.hub:5000/pause:3.9'}))],
}


def check_sandbox(ctx, eff):
    if not containerd_in_use(ctx):
        return
    wanted_image = ctx.settings.get('sandbox_image')
    local = ctx.settings.get('local_registry')
    if not wanted_image and not local:
        return
    expected = image_registry(wanted_image) if wanted_image else url_host(local)
    image, cite = sandbox_in_effect(ctx, eff)
    if image_registry(image) != expected:
        ctx.findings.add('sandbox-image-not-local', [cite], (
            'The sandbox (pause) image is %s, from %s, but it should come from %s%s; on a node without access '
            'to %s every pod stays in ContainerCreating ("failed to get sandbox image").' % (
                image, image_registry(image), expected,
                ' (pullfix_sandbox_image %s)' % wanted_image if wanted_image else ' (pullfix_local_registry)',
                image_registry(image))))


def sandbox_in_effect(ctx, eff):
    """(image, citation) of the sandbox image containerd uses: the configured one or its default."""
    cv = cversion(ctx)
    image = eff.sandbox
    cite = eff.sandbox_cite
    if not image:
        image = facts.default_pause(cv, eff.version)
        cite = '%s: no sandbox image set (default %s)' % (eff.main, image)
    return image, cite


def check(ctx, models):
    check_sandbox(ctx, models.containerd)


def next_step(ctx, models, fid, finding):
    """containerd_registry writes the sandbox image only from pullfix_sandbox_image."""
    if ctx.settings.get('sandbox_image'):
        return None
    image, _cite = sandbox_in_effect(ctx, models.containerd)
    registry = image_registry(image)
    name = image[len(registry) + 1:] if image.startswith(registry + '/') else image
    return ('set pullfix_sandbox_image to %s/%s (the pause image from pullfix_local_registry, which the registry must '
            'hold): kubenode.pullfix.containerd_registry writes the sandbox image only from pullfix_sandbox_image' % (
                url_host(ctx.settings.get('local_registry')), name))
