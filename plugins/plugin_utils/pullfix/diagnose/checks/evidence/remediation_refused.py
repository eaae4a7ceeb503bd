# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of remediation-refused: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, finding

FINDINGS = {
    'remediation-refused': finding(
        'error', 'A remediation refused to write anything on this host (settings or a file in the way)',
        MANUAL, 'pull',
        applies_to='every runtime and version',
        report_only=True,
        doc="""`fix_pull.yml` planned a remediation and the plan refused: an invalid setting (named with its
key), or a node file that must not be replaced (not read whole, not a regular file, not
parsable, a file someone else wrote with `pullfix_registry_takeover: false`). Nothing of any
remediation was written on that host. The report keeps the host's diagnosis and lists this
finding with the planner's reasons; the host fails at the end of the run.
""",
        error_text="""Nothing was written: containerd_registry: /etc/containerd/config.toml:3: plugins = 1 is an integer (expected a table of plugin \
tables); the file is left as it is""",
        example="containerd_registry: pullfix_registry_mirrors['docker.io'].endpoints[0]: 'mirror.local:5000' has no scheme (expected http:// or https://)"),
}

# Added by the report (plugins/action/report.py), never by the diagnosis.
check = None
SOURCE = 'the report'
