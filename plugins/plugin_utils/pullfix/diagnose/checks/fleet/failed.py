# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of remediation-failed: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, finding

FINDINGS = {
    'remediation-failed': finding(
        'error', 'Applying the changes failed on the node; no file was left half written',
        MANUAL, 'pull',
        applies_to='every runtime and version',
        report_only=True,
        doc="""The apply call failed on the node: a directory that cannot be written (read-only, immutable), a
file that changed since it was gathered, a validator that rejected the new content. Every file is
whole: before the first rename nothing was replaced; a failure during the renames leaves the files
listed as changed (with backups) new and the rest old. The host fails after the report.
""",
        error_text='/etc/containerd/config.toml: [Errno 30] Read-only file system',
        example='/etc/containerd/certs.d/docker.io/hosts.toml: Read-only file system'),
}

# Added by the report (plugins/action/report.py), never by the diagnosis.
check = None
SOURCE = 'the report'
