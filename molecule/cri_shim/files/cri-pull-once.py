# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Test helper: one CRI PullImage on an endpoint, no retry. Prints the image ref and the time it took."""
import sys
import time

sys.path.insert(0, '/usr/local/lib/pullfix-shim-standin')

from ansible_collections.kubenode.pullfix.plugins.module_utils import _cri  # noqa: E402

started = time.monotonic()
try:
    ref = _cri.pull_image(sys.argv[1], sys.argv[2], timeout=60.0)
except _cri.CriError as exc:
    sys.stderr.write('%s\n' % exc)
    sys.exit(1)
print('%s %d ms' % (ref, (time.monotonic() - started) * 1000))
