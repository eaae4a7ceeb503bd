# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-cri-disabled: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import CONTAINERD, case, finding

FINDINGS = {
    'containerd-cri-disabled': finding(
        'error', "containerd's CRI plugin is disabled (disabled_plugins)",
        CONTAINERD, 'pull',
        applies_to="""containerd 1.x (`"cri"` in a version 1 file, or the URI) and 2.x (`"cri"` in a version-less file, migrated, or the URIs \
`io.containerd.grpc.v1.cri`, `io.containerd.cri.v1.images`, `io.containerd.cri.v1.runtime`)""",
        doc="""`disabled_plugins` contains `"cri"` in a version-less file (the default of Docker's `containerd.io` package; 2.x migrates it to \
`io.containerd.grpc.v1.cri`) or the CRI plugin URI: containerd runs but serves no CRI. A short id such as `"cri"` in a version 2/3 file is \
`containerd-config-rejected` instead (containerd does not start).
""",
        error_text="""validate service connection: CRI v1 runtime API is not implemented for endpoint "unix:///var/run/containerd/containerd.sock": \
rpc error: code = Unimplemented desc = unknown service runtime.v1.RuntimeService""",
        example='/etc/containerd/config.toml:3 disabled_plugins = ["cri"]'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-cri-disabled': (
        case(lambda ev, h: h.cfg(ev, 'disabled_plugins = ["cri"]\n')),
        case(lambda ev, h: h.cfg(ev, 'version = 2\ndisabled_plugins = ["io.containerd.internal.v1.opt"]\n'))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the containerd configuration model (models/containerd.py) while it reads disabled_plugins'
