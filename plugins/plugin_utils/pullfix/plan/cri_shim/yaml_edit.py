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
        want = values[key]
        line_no = None
        for no in range(first, min(last, len(lines)) + 1):
            m = _LINE_RE.match(lines[no - 1].rstrip('\r\n'))
            if m and m.group('key') == key:
                if line_no is not None:
                    raise EditError('%s:%d: %s is set twice (first at line %d); not edited' % (path, no, key, line_no))
                line_no = no
        if line_no is None:
            for no in range(first, min(last, len(lines)) + 1):
                raw = lines[no - 1]
                if raw.startswith(key + ':') or raw.startswith('"%s"' % key) or raw.startswith("'%s'" % key):
                    raise EditError('%s:%d: %s is not a one-line value (a block, a list or a mapping); expected '
                                    '"%s: <value>"; not edited' % (path, no, key, key))
            anchor = None
            for other in (after or {}).get(key, ()):
                for no in range(first, min(last, len(lines)) + 1):
                    m = _LINE_RE.match(lines[no - 1].rstrip('\r\n'))
                    if m and m.group('key') == other:
                        anchor = no
                        break
                if anchor:
                    break
            new_line = '%s: %s%s' % (key, _render(want, None), eol)
            if anchor is None:
                at = min(last, len(lines))
                if at and not lines[at - 1].endswith(('\n', '\r')):
                    lines[at - 1] += eol
                while at > first - 1 and at > 0 and lines[at - 1].strip() in ('', '...', '---') \
                        and at > first:
                    at -= 1
                lines.insert(at, new_line)
            else:
                lines.insert(anchor, new_line)
            last += 1
            changed.append(key)
            continue
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
        changed.append(key)
    new_text = bom + ''.join(lines)
    try:
        new_docs = parse.load_yaml_all(new_text[len(bom):])
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
    return new_text, changed
