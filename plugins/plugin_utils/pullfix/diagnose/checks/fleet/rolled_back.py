# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of remediation-rolled-back: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, finding

FINDINGS = {
    'remediation-rolled-back': finding(
        'error', "The runtime did not come back after this run's changes: they were rolled back",
        MANUAL, 'pull',
        applies_to='every runtime and version',
        report_only=True,
        doc="""The changes were written and the services restarted, but the runtime did not answer CRI `Version`
within `pullfix_restart_timeout`. Every file of this run was put back from its backup and the
services restarted with the old files; the runtime works as it did before the run. The host fails
at the end of the run, after the report; with `pullfix_max_fail_percentage: 0` the rollout stops
after its batch.
""",
        error_text="""containerd.service did not answer CRI Version within 60 s after /etc/containerd/config.toml changed (...). The previous files \
were restored""",
        example='/etc/containerd/config.toml restored from /etc/containerd/config.toml.20261123T011500-4242.pullfix~'),
}

# Added by the report (plugins/action/report.py), never by the diagnosis.
check = None
SOURCE = 'the report'
