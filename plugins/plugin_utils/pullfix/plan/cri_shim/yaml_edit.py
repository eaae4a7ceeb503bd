# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Minimal edits of top-level scalar keys in a YAML mapping, keeping every other byte.

Files the role does not own (/etc/image-cri-shim.yaml, kubelet's config, kubeadm's config) are
changed one line at a time: a key's value is replaced in place (quotes and trailing comment
kept) or a ``key: value`` line is inserted; the result is parsed again and must differ from the
original only in those keys, or nothing is planned.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

from ... import parse

# key: value  # comment     (one line; the value a plain or quoted scalar)
_LINE_RE = re.compile(r'^(?P<key>[A-Za-z0-9_.-]+)(?P<sep>[ \t]*:[ \t]*)(?P<value>"(?:[^"\\]|\\.)*"|\'(?:[^\']|\'\')*\'|[^#\s][^#]*?)?'
                      r'(?P<tail>[ \t]+#.*|[ \t]*)$')
_PLAIN_SAFE_RE = re.compile(r'^[A-Za-z0-9/][A-Za-z0-9_./:@+-]*$')


class EditError(Exception):
    """A file the role must not rewrite; the message names file:line and what was expected."""


def _render(value, quote):
    if quote == '"':
        return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')
    if quote == "'":
        return "'%s'" % value.replace("'", "''")
    if _PLAIN_SAFE_RE.match(value) and not value.endswith(':'):
        return value
    return '"%s"' % value.replace('\\', '\\\\').replace('"', '\\"')


def _split_lines(text):
    return text.splitlines(True)


def _eol(lines):
    for line in lines:
        if line.endswith('\r\n'):
            return '\r\n'
        if line.endswith('\n'):
            return '\n'
    return '\n'


def _key_line(lines, first, last, key, path):
    """The 1-based line of ``key: value`` in lines first..last, or None. Raises EditError when twice."""
    line_no = None
    for no in range(first, min(last, len(lines)) + 1):
        m = _LINE_RE.match(lines[no - 1].rstrip('\r\n'))
        if m and m.group('key') == key:
            if line_no is not None:
                raise EditError('%s:%d: %s is set twice (first at line %d); not edited' % (path, no, key, line_no))
            line_no = no
    return line_no


def _insert_key(lines, first, last, key, want, anchors, eol, path):
    """Insert ``key: want`` after the first of ``anchors`` found (else at the document's end)."""
    for no in range(first, min(last, len(lines)) + 1):
        raw = lines[no - 1]
        if raw.startswith(key + ':') or raw.startswith('"%s"' % key) or raw.startswith("'%s'" % key):
            raise EditError('%s:%d: %s is not a one-line value (a block, a list or a mapping); expected '
                            '"%s: <value>"; not edited' % (path, no, key, key))
    anchor = None
    for other in anchors:
        anchor = _key_line(lines, first, last, other, path)
        if anchor:
            break
    new_line = '%s: %s%s' % (key, _render(want, None), eol)
    if anchor is not None:
        lines.insert(anchor, new_line)
        return
    at = min(last, len(lines))
    if at and not lines[at - 1].endswith(('\n', '\r')):
        lines[at - 1] += eol
    while at > first - 1 and at > 0 and lines[at - 1].strip() in ('', '...', '---') and at > first:
        at -= 1
    lines.insert(at, new_line)


def _replace_value(lines, line_no, last, key, want, path):
    """Replace the one-line value of ``key`` on line ``line_no``, its quotes and comment kept."""
    raw = lines[line_no - 1]
    ending = raw[len(raw.rstrip('\r\n')):]
    m = _LINE_RE.match(raw.rstrip('\r\n'))
    value = m.group('value') or ''
    quote = value[0] if value[:1] in ('"', "'") else None
    nested = False
    if not value:
        for follow in lines[line_no:last]:
            if follow.strip() and not follow.lstrip().startswith('#'):
                nested = follow[:1] in (' ', '\t', '-')
                break
    if nested or value.strip() in ('|', '>', '|-', '>-', '|+', '>+') or value.startswith(('[', '{', '&', '*', '!')):
        raise EditError('%s:%d: %s is not a plain one-line string (found %s); expected "%s: <value>"; '
                        'not edited' % (path, line_no, key, value.strip()[:20] or 'a nested block', key))
    lines[line_no - 1] = '%s%s%s%s%s' % (m.group('key'), m.group('sep') if value else ': ',
                                         _render(want, quote), m.group('tail'), ending)


def _check_only(docs, new_text, values, path):
    """Raise EditError unless ``new_text`` parses to ``docs`` with only ``values`` changed."""
    try:
        new_docs = parse.load_yaml_all(new_text)
    except parse.ParseError as exc:
        raise EditError('%s:%s: the edited file would not parse (%s); not edited' % (path, exc.line or '?', exc.message))
    if len(new_docs) != len(docs):
        raise EditError('%s: the edit would change the number of YAML documents; not edited' % path)
    for (old, _i1), (new, _i2) in zip(docs, new_docs):
        if not isinstance(old, dict) or not isinstance(new, dict):
            if old != new:
                raise EditError('%s: the edit would change more than %s; not edited' % (path, ', '.join(values)))
            continue
        rest_old = dict((k, v) for k, v in old.items() if k not in values)
        rest_new = dict((k, v) for k, v in new.items() if k not in values)
        if rest_old != rest_new:
            raise EditError('%s: the edit would change more than %s; not edited' % (path, ', '.join(values)))


def set_scalars(text, values, path, doc_range=None, after=None):
    """Set top-level ``values`` {key: str} of the YAML mapping in ``text``.

    ``doc_range``: (first line, last line), 1-based, of the document to edit in a multi-document
    stream (None: the whole text is one document). ``after``: {key: [keys]} whose line a new key
    goes after, in preference order (else after the document's last line).
    Returns (new text, [keys changed]). Raises EditError naming ``path:line``.
    """
    bom = '\ufeff' if text.startswith('\ufeff') else ''
    body = text[len(bom):]
    lines = _split_lines(body)
    eol = _eol(lines)
    first, last = doc_range or (1, len(lines))
    try:
        docs = parse.load_yaml_all(body)
    except parse.ParseError as exc:
        raise EditError('%s:%s: %s; not edited' % (path, exc.line or '?', exc.message))
    changed = []
    for key in values:
        line_no = _key_line(lines, first, last, key, path)
        if line_no is None:
            _insert_key(lines, first, last, key, values[key], (after or {}).get(key, ()), eol, path)
            last += 1
        else:
            _replace_value(lines, line_no, last, key, values[key], path)
        changed.append(key)
    _check_only(docs, ''.join(lines), values, path)
    return bom + ''.join(lines), changed
