# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-sandbox-image-ignored: catalogue entries and user text, the check and the cases
(see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import CONTAINERD, case, finding

FINDINGS = {
    'containerd-sandbox-image-ignored': finding(
        'warning', 'The sandbox image is set where this config version does not read it',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files), '
                   'either pull path (the sandbox image does not depend on it)',
        doc="""The pause image is set under a key the file's config version does not read: `sandbox_image` in a
version 3 file (2.x reads `[plugins."io.containerd.cri.v1.images".pinned_images] sandbox`), or
`pinned_images.sandbox` under `plugins."io.containerd.grpc.v1.cri"` in a version 2 file (which reads
`sandbox_image`). containerd ignores unknown keys silently and uses its default pause image
(`registry.k8s.io/pause:3.8` on 1.x, `3.10` on 2.x); `sandbox-image-not-local` follows when a local
registry is wanted.
""",
        error_text='(none; on an offline node: failed to get sandbox image "registry.k8s.io/pause:3.10")',
        example='/etc/containerd/config.toml:3 sandbox_image = "r.local/pause:3.10"'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-sandbox-image-ignored': (
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.9'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images"]\n  sandbox_image = "r.local/pause:3.10"\n'))),
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.9'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "r.local/pause:3.10"\n')))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the containerd configuration model (models/containerd.py) while it reads the sandbox image'
