# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of host-not-reached: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, finding

FINDINGS = {
    'host-not-reached': finding(
        'warning', 'The rollout stopped before this host: nothing ran on it',
        MANUAL, 'pull',
        applies_to='every runtime and version',
        report_only=True,
        doc="""`fix_pull.yml` runs in batches (`pullfix_serial`). When a batch fails beyond
`pullfix_max_fail_percentage`, the later batches do not run: their hosts are untouched, and the
report written with the failing batch lists them with this finding. Fix the failed hosts, then run
again.
""",
        error_text='NO MORE HOSTS LEFT',
        example='node7: the rollout stopped before its batch'),
}

# Added by the report (plugins/action/report.py), never by the diagnosis.
check = None
SOURCE = 'the report'
