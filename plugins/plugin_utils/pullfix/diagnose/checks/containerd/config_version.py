# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-config-version-missing, containerd-config-version-mismatch, containerd-config-
tables-ignored: catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import CONTAINERD, MANUAL, case, finding

FINDINGS = {
    'containerd-config-version-missing': finding(
        'error', 'containerd config uses version 2 plugin names without "version = 2": silently ignored',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6 and 1.7 only (2.x migrates a version-less file and reads URI-named tables in it)',
        doc="""The file uses version 2 plugin names (`plugins."io.containerd.grpc.v1.cri"`) but has no `version = 2` line: containerd 1.x reads it as \
version 1 and silently ignores those tables, including `config_path` and `sandbox_image`. containerd 2.x migrates a version-less file on load and \
keeps URI-named tables (`cmd/containerd/server/config/config.go` v1Migrate), so the file works there and nothing is reported.
""",
        error_text="(no error: `containerd config dump` shows the defaults instead of the file's values)",
        example="""/etc/containerd/config.toml: no "version" key (read as version 1)
/etc/containerd/config.toml:1 [plugins."io.containerd.grpc.v1.cri".registry]"""),
    'containerd-config-version-mismatch': finding(
        'error', 'containerd config version 3 on containerd 1.x: containerd does not start with it',
        CONTAINERD, 'pull',
        applies_to='containerd 1.6, 1.7',
        doc="""A `version = 3` file (containerd 2.x) read by containerd 1.x, which knows versions 1 and 2
only and refuses to load it. The planner refuses to edit such a file for 1.x: write a
version 2 file (or upgrade containerd).
""",
        error_text='containerd: failed to load TOML from /etc/containerd/config.toml: unsupported config version `3`',
        example='/etc/containerd/config.toml:1 version = 3'),
    'containerd-config-tables-ignored': finding(
        'warning', 'Plugin tables of the other config version are silently ignored',
        MANUAL, 'hygiene',
        applies_to='containerd 1.6, 1.7 (2.x tables in a version 2 file); 2.0, 2.1, 2.2 (1.x keys in a version 3 file)',
        doc="""Tables written for the other config version: 2.x table names (`plugins."io.containerd.cri.v1.images"`)
in a version 2 file on 1.x, or 1.x keys (`registry`, `containerd`, `sandbox_image`, `cni`) under
`plugins."io.containerd.grpc.v1.cri"` in a version 3 file. containerd loads and ignores them;
whatever they set (a config_path, a sandbox image) has no effect, which other findings report when
it matters (`containerd-config-path-unset`, `containerd-sandbox-image-ignored`). Remove them so
nobody edits a table that is never read.
""",
        error_text='(no error: the settings are silently ignored)',
        example='/etc/containerd/config.toml:7 [plugins."io.containerd.cri.v1.images".registry]'),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-config-version-missing': (
        case(lambda ev, h: h.cfg(ev, '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n')),
        case(lambda ev, h: h.cfg(ev, '[plugins.cri.registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
    'containerd-config-version-mismatch': (
        case(lambda ev, h: h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n  config_path = "/etc/containerd/certs.d"\n')),
        case(lambda ev, h: (h.set_containerd_version(ev, '2.0.2'),
                            h.cfg(ev, 'version = 3\n[plugins."io.containerd.cri.v1.images".registry]\n'
                                  '  config_path = "/etc/containerd/certs.d"\n[plugins."io.containerd.grpc.v1.cri"]\n'
                                  '  stream_server_port = "0"\n')))),
    'containerd-config-tables-ignored': (
        # 2.x table names in a version 2 file on 1.x: loaded and ignored
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'
                                 '[plugins."io.containerd.cri.v1.images".pinned_images]\n  sandbox = "registry.k8s.io/pause:3.10"\n')),
        case(lambda ev, h: h.cfg(ev, h.V2_HEAD + '[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n'))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = "the containerd configuration model (models/containerd.py) while it reads each file's version"
