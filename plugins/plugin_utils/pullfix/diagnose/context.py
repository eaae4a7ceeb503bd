# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The diagnosis context shared by the check functions."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from .. import parse
from ..evidence import Evidence, redact_line
from ..findings import Findings
from ..settings_schema import controller_defaults

# Unset settings read as their defaults; every setting is defined once, in settings_schema.
DEFAULT_SETTINGS = controller_defaults()

_SECRET_TABLE_RE = re.compile(r'(header|auth)', re.I)
_MAX_QUOTE = 200


def normalize_settings(settings):
    out = dict(DEFAULT_SETTINGS)
    for key, value in (settings or {}).items():
        if key.startswith('pullfix_'):
            key = key[len('pullfix_'):]
        out[key] = value
    if not out.get('runtime'):
        out['runtime'] = 'auto'
    out['registry_mirrors'] = out.get('registry_mirrors') or {}
    out['verify_images'] = list(out.get('verify_images') or [])
    return out


class Context(object):
    def __init__(self, evidence, settings):
        self.ev = evidence if isinstance(evidence, Evidence) else Evidence(evidence)
        self.settings = normalize_settings(settings)
        self.findings = Findings()
        self.runtime = None       # set by runtime.detect
        self.kubelet = None       # set by runtime.detect
        self.needed_paths = set()  # files the diagnosis looked at
        self.reported_paths = set()  # unreadable paths a specific finding already explains

    # citations ------------------------------------------------------
    def cite(self, path, line=None, text=None, toml=False):
        """``path:line <text of that line>``, redacted; ``path`` alone without a line."""
        if not line:
            return path if text is None else '%s %s' % (path, redact_line(text).strip())
        if text is None:
            text = self.ev.line_text(path, line)
            secret = False
            if toml:
                content = self.ev.text(path) or ''
                secret = bool(_SECRET_TABLE_RE.search(parse.table_of_line(content, line)))
            text = redact_line(text, secret_context=secret)
        else:
            text = redact_line(text)
        text = text.strip()
        if len(text) > _MAX_QUOTE:
            text = text[:_MAX_QUOTE] + '...'
        return ('%s:%d %s' % (path, line, text)).rstrip()

    def cite_key(self, path, index, keypath, toml=True):
        return self.cite(path, parse.line_of(index, keypath), toml=toml)

    # parsing ---------------------------------------------------------
    def load(self, path, kind, bad_id, what=None):
        """Parsed (data, index) of a file, or None. Parse errors add ``bad_id``."""
        self.needed_paths.add(path)
        r = self.ev.parsed(path, kind)
        if r is None:
            return None
        data, index, err = r
        if err is not None:
            where = self.cite(path, err.line, toml=(kind == 'toml')) if err.line else path
            self.findings.add(bad_id, [where], '%s %s cannot be parsed (%s), so %s.' % (
                what or 'The file', path, err.message,
                'everything it configures is ignored or the service fails to start'))
            return None
        return data, index
