# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of host-not-diagnosed: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, finding

FINDINGS = {
    'host-not-diagnosed': finding(
        'error', 'No evidence from this host: it was unreachable or failed before the diagnosis',
        MANUAL, 'pull',
        applies_to='every runtime and version',
        report_only=True,
        doc="""The report lists every host of the play. A host that was unreachable, or whose gathering
or diagnosis task failed, has no findings of its own; it gets this one so that a fleet
summary never shows it as clean. The play output above the summary has the reason.
""",
        error_text='fatal: [node1]: UNREACHABLE! => ... "msg": "Failed to connect to the host via ssh: ..."',
        example='node1: no diagnosis recorded in this play'),
}

# Added by the report (plugins/action/report.py), never by the diagnosis.
check = None
SOURCE = 'the report'
