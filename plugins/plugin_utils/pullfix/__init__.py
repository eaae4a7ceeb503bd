# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Controller side of kubenode.pullfix: pure Python, no Ansible imports.

The data flows gather -> diagnose -> plan -> apply -> verify -> report:
- ``evidence``: accessors over what ``node_evidence`` gathered; ``parse``: TOML/YAML with lines.
- ``facts``: what each runtime does in which version, read by both diagnosis and planning.
- ``diagnose``: ``diagnose(evidence, settings)`` -> runtime and findings (``findings`` is the catalogue).
- ``plan``: one package per remediation role; each returns Change records for one apply call.
- ``report``: the per-host JSON, summary.md and junit.xml.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type
