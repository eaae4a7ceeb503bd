# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller-side diagnosis of image pull problems (pure Python, no Ansible imports).

Modules:
- ``evidence``: accessors over the evidence dict returned by ``node_evidence``.
- ``parse``: TOML and YAML parsing with line numbers.
- ``findings``: the catalogue of finding ids and the collector.
- ``runtime``: runtime and kubelet endpoint detection.
- ``checks_*``: groups of pure check functions.
- ``diagnose``: ``diagnose(evidence, settings)``.
- ``report``: pure rendering of the per-host JSON, summary.md and junit.xml.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
