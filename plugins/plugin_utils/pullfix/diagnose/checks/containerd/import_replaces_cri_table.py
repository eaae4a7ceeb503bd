# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-import-replaces-cri-table: catalogue entries and user text, the check and the
cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'containerd-import-replaces-cri-table': finding(
        'warning', "An imported file replaces the main file's CRI plugin table (containerd 1.x)",
        MANUAL, 'pull',
        applies_to='containerd 1.6 and 1.7 only (2.0+ merges plugin tables key by key)',
        doc="""containerd 1.x merges an imported file over the main file, but replaces each `[plugins."<id>"]`
table whole ("Replace entire sections instead of merging map's values", `mergeConfig`). An import that
sets anything under `plugins."io.containerd.grpc.v1.cri"` therefore drops everything the main file set
in that table, `registry.config_path` included (then `containerd-config-path-unset` follows and is
listed under this finding). containerd 2.0 merges plugin tables key by key (commit a21e379b6), so the
finding is not reported there. The diagnosis merges the files the same way for each version.
""",
        error_text="(none: the main file's settings are silently ignored)",
        example=('/etc/containerd/conf.d/10-runc.toml:2 [plugins."io.containerd.grpc.v1.cri".containerd]\n'
                 '/etc/containerd/config.toml:3 config_path = "/etc/containerd/certs.d"')),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-import-replaces-cri-table': (
        case(lambda ev, h: (h.cfg(ev, 'version = 2\nimports = ["/etc/containerd/conf.d/10-runc.toml"]\n'
                                      '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_file(ev, '/etc/containerd/conf.d/10-runc.toml', 'version = 2\n'
                                        '[plugins."io.containerd.grpc.v1.cri".containerd]\n  snapshotter = "overlayfs"\n',
                                        'containerd-config'))),
        # containerd 2.x merges plugin tables key by key
        case(lambda ev, h: (h.set_containerd_version(ev, '2.1.9'),
                            h.cfg(ev, 'version = 3\nimports = ["/etc/containerd/conf.d/10-runc.toml"]\n'
                                      '[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n'),
                            h.with_file(ev, '/etc/containerd/conf.d/10-runc.toml', 'version = 3\n'
                                        '[plugins."io.containerd.cri.v1.images"]\n  snapshotter = "overlayfs"\n',
                                        'containerd-config')))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the containerd configuration model (models/containerd.py) while it merges the imports'
