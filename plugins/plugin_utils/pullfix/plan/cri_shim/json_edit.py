# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Minimal edits of top-level keys of a JSON object, keeping every other byte.

kubelet reads its configuration file as YAML, and JSON is YAML: EKS writes
/etc/kubernetes/kubelet/kubelet-config.json (AL2) and nodeadm /etc/kubernetes/kubelet/config.json
(AL2023). Such a file is edited as JSON: a key's value is replaced in place, a new key goes after
the key named in ``after`` (else last) on a line of its own, indented and separated like the
file's first key. Key order, indentation and one-line arrays stay as they were.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json

from .yaml_edit import EditError

_WS = ' \t\r\n'


def is_json_object(text):
    """Whether ``text`` (a BOM aside) is written as a JSON object rather than block YAML."""
    return text.lstrip('\ufeff').lstrip(_WS).startswith('{')


def _skip(text, i):
    while i < len(text) and text[i] in _WS:
        i += 1
    return i


def _line_of(text, i):
    return text.count('\n', 0, i) + 1


def _members(text, path):
    """[(key, key start, value start, value end)] of the top-level object, and the index of its '}'."""
    decoder = json.JSONDecoder()
    i = _skip(text, 0)
    if i >= len(text) or text[i] != '{':
        raise EditError('%s:%d: expected a JSON object; not edited' % (path, _line_of(text, i)))
    i = _skip(text, i + 1)
    out = []
    while True:
        if i < len(text) and text[i] == '}':
            return out, i
        if i >= len(text) or text[i] != '"':
            raise EditError('%s:%d: expected a quoted key or }; not edited' % (path, _line_of(text, i)))
        key, end = json.decoder.scanstring(text, i + 1)
        j = _skip(text, end)
        if j >= len(text) or text[j] != ':':
            raise EditError('%s:%d: expected : after "%s"; not edited' % (path, _line_of(text, j), key))
        v = _skip(text, j + 1)
        try:
            _value, v_end = decoder.raw_decode(text, v)
        except ValueError as exc:
            raise EditError('%s:%d: %s; not edited' % (path, _line_of(text, v), exc.args[0].split(':')[0]))
        out.append((key, i, v, v_end))
        i = _skip(text, v_end)
        if i < len(text) and text[i] == ',':
            i = _skip(text, i + 1)
        elif i >= len(text) or text[i] != '}':
            raise EditError('%s:%d: expected , or } after "%s"; not edited' % (path, _line_of(text, i), key))


def set_json_scalars(text, values, path, after=None):
    """Set top-level ``values`` {key: str} of the JSON object in ``text``.

    Returns (new text, [keys changed]). Raises EditError naming ``path:line``.
    """
    bom = '\ufeff' if text.startswith('\ufeff') else ''
    body = text[len(bom):]
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise EditError('%s:%s: %s; not edited' % (path, getattr(exc, 'lineno', '?'), getattr(exc, 'msg', exc)))
    if not isinstance(data, dict):
        raise EditError('%s:1: is a JSON %s, expected an object; not edited' % (path, type(data).__name__))
    changed = []
    for key in values:
        want = values[key]
        if data.get(key) == want:
            continue
        members, close = _members(body, path)
        spans = dict((k, (ks, vs, ve)) for k, ks, vs, ve in members)
        if key in spans:
            _ks, vs, ve = spans[key]
            body = body[:vs] + json.dumps(want) + body[ve:]
        else:
            body = _insert(body, members, close, key, want, (after or {}).get(key) or ())
        data[key] = want
        changed.append(key)
    if json.loads(body) != data:  # pragma: no cover - the edit must read back as intended
        raise EditError('%s: the edited JSON would not read back as intended; not edited' % path)
    return bom + body, changed


def _insert(body, members, close, key, want, anchors):
    if not members:
        line_start = body.rfind('\n', 0, close) + 1
        indent = body[line_start:close] if not body[line_start:close].strip() else ''
        return body[:close].rstrip(_WS) + '\n' + indent + '  ' + json.dumps(key) + ': ' + json.dumps(want) + '\n' + \
            indent + body[close:]
    first_key, first_ks, first_vs, _first_ve = members[0]
    line_start = body.rfind('\n', 0, first_ks) + 1
    indent = body[line_start:first_ks] if not body[line_start:first_ks].strip() else ''
    sep = body[first_ks + len(json.dumps(first_key)):first_vs] if '\n' not in body[first_ks:first_vs] else ': '
    newline = '\n' if '\n' in body[:first_ks] else ' '
    names = [m[0] for m in members]
    anchor = next((a for a in anchors if a in names), names[-1])
    _k, _ks, _vs, ve = members[names.index(anchor)]
    entry = ',' + (newline + indent if newline == '\n' else ' ') + json.dumps(key) + sep + json.dumps(want)
    return body[:ve] + entry + body[ve:]
