# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Go's time.ParseDuration, the parser containerd, CRI-O and kubelet run on every duration setting.

containerd parses `image_pull_progress_timeout` with it (v2.3.4 internal/cri/config/config.go 549,
internal/cri/server/images/image_pull.go 163), CRI-O decodes `pull_progress_timeout` into a
time.Duration (v1.33.0 pkg/config/config.go 580), kubelet decodes `defaultCacheDuration` as a
metav1.Duration (the same parser). Grammar and messages follow Go's src/time/format.go
ParseDuration: ``[-+]?([0-9]*(\\.[0-9]*)?[a-z]+)+``, the bare string "0", units ns us µs μs ms s m h.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

_UNITS = {'ns': 1e-9, 'us': 1e-6, u'\u00b5s': 1e-6, u'\u03bcs': 1e-6, 'ms': 1e-3, 's': 1.0, 'm': 60.0, 'h': 3600.0}
_PART = re.compile(u'([0-9]*(?:\\.[0-9]*)?)([^0-9.]*)')


class DurationError(ValueError):
    """The text Go's time.ParseDuration would return for this input."""


def _quote(text):
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"')


def parse(text):
    """Seconds (float) of a Go duration string; raises DurationError with Go's own message."""
    orig = text
    if not isinstance(text, str):
        raise DurationError('time: invalid duration %s' % _quote(str(text)))
    neg = False
    if text[:1] in ('-', '+'):
        neg = text[0] == '-'
        text = text[1:]
    if text == '0':
        return 0.0
    if text == '':
        raise DurationError('time: invalid duration %s' % _quote(orig))
    total = 0.0
    pos = 0
    while pos < len(text):
        m = _PART.match(text, pos)
        number, unit = m.group(1), m.group(2)
        if number in ('', '.'):
            raise DurationError('time: invalid duration %s' % _quote(orig))
        if unit == '':
            raise DurationError('time: missing unit in duration %s' % _quote(orig))
        if unit not in _UNITS:
            raise DurationError('time: unknown unit %s in duration %s' % (_quote(unit), _quote(orig)))
        total += float(number) * _UNITS[unit]
        pos = m.end()
    return -total if neg else total


def format_seconds(seconds):
    """Go's Duration.String() for whole seconds, minutes and hours ("1m0s", "5m0s", "10s", "0s")."""
    seconds = int(seconds)
    if seconds == 0:
        return '0s'
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return '%dh%dm%ds' % (hours, minutes, secs)
    if minutes:
        return '%dm%ds' % (minutes, secs)
    return '%ds' % secs
