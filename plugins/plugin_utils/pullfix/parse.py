# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""TOML and YAML parsing with line numbers.

TOML is parsed with the standard library ``tomllib`` (controller Python 3.11+);
line numbers of keys come from a small scanner (``toml_key_lines``), because
``tomllib`` keeps no positions. YAML is parsed with PyYAML, and line numbers
come from the marks of the composed node graph.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import re

try:
    import tomllib
except ImportError:  # pragma: no cover - controller Python is 3.11+
    tomllib = None

try:
    import yaml
    try:
        _YamlLoader = yaml.CSafeLoader
    except AttributeError:  # pragma: no cover - PyYAML without libyaml
        _YamlLoader = yaml.SafeLoader
    HAS_YAML = True
except ImportError:  # pragma: no cover - sanity import test environment
    yaml = None
    _YamlLoader = None
    HAS_YAML = False


class ParseError(Exception):
    """A document could not be parsed; ``line`` is 1-based or None."""

    def __init__(self, message, line=None):
        super(ParseError, self).__init__(message)
        self.message = message
        self.line = line


class MissingLibrary(Exception):
    """A library the diagnosis needs on the controller is not installed."""


_TOML_LINE_RE = re.compile(r'at line (\d+)')

_TYPE_WORDS = ((bool, 'a boolean'), (int, 'an integer'), (float, 'a number'), (str, 'a string'),
               (dict, 'a mapping'), (list, 'a list'), (tuple, 'a list'), (type(None), 'null'))


def describe(value):
    """A value's type in the user's words ('a string', 'a mapping', ...), never an internal class name."""
    for cls, words in _TYPE_WORDS:
        if isinstance(value, cls):
            return words
    return 'a value of an unsupported type'


def text_of(text):
    """``text`` as an exact ``str``: a subclass (Ansible's AnsibleUnsafeText) is copied, because
    PyYAML's C loader accepts only str, bytes or a stream ("a string or stream input is required")."""
    # str.__str__ returns an exact str as it is and copies a subclass into a plain str.
    return str.__str__(text) if isinstance(text, str) else text


def load_toml(text):
    """Parse TOML text. Returns (data, line_index). Raises ParseError.

    A UTF-8 byte order mark is skipped: containerd (go-toml) accepts it, tomllib does not.
    """
    if tomllib is None:  # pragma: no cover
        raise MissingLibrary('Python 3.11+ (tomllib) is required on the controller to parse TOML')
    text = text_of(text)
    if text.startswith('\ufeff'):
        text = text[1:]
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        msg = str(exc)
        m = _TOML_LINE_RE.search(msg)
        raise ParseError(msg, int(m.group(1)) if m else None)
    return data, toml_key_lines(text)


# ---------------------------------------------------------------- TOML lines

_BARE_KEY_CHARS = frozenset('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-')
_ESCAPES = {'b': '\b', 't': '\t', 'n': '\n', 'f': '\f', 'r': '\r', '"': '"', '\\': '\\'}


def _parse_key(s, i):
    """Parse a dotted TOML key starting at s[i]. Returns (parts, index after the key)."""
    parts = []
    n = len(s)
    while True:
        while i < n and s[i] in ' \t':
            i += 1
        if i >= n:
            break
        c = s[i]
        if c == '"':
            i += 1
            buf = []
            while i < n and s[i] != '"':
                if s[i] == '\\' and i + 1 < n:
                    buf.append(_ESCAPES.get(s[i + 1], s[i + 1]))
                    i += 2
                    continue
                buf.append(s[i])
                i += 1
            parts.append(''.join(buf))
            i += 1
        elif c == "'":
            j = s.find("'", i + 1)
            if j < 0:
                j = n
            parts.append(s[i + 1:j])
            i = j + 1
        else:
            j = i
            while j < n and s[j] in _BARE_KEY_CHARS:
                j += 1
            if j == i:
                break
            parts.append(s[i:j])
            i = j
        while i < n and s[i] in ' \t':
            i += 1
        if i < n and s[i] == '.':
            i += 1
            continue
        break
    return parts, i


def _value_state(s, i, depth):
    """Scan a value from s[i]; returns (bracket depth, open multi-line string delimiter or None)."""
    n = len(s)
    while i < n:
        c = s[i]
        if c == '#':
            break
        if s.startswith('"""', i) or s.startswith("'''", i):
            delim = s[i:i + 3]
            j = s.find(delim, i + 3)
            if j < 0:
                return depth, delim
            i = j + 3
            continue
        if c == '"':
            i += 1
            while i < n and s[i] != '"':
                i += 2 if s[i] == '\\' else 1
            i += 1
            continue
        if c == "'":
            j = s.find("'", i + 1)
            i = n if j < 0 else j + 1
            continue
        if c in '[{':
            depth += 1
        elif c in ']}':
            depth -= 1
        i += 1
    return depth, None


def toml_key_lines(text):
    """Map key paths (tuples) to the 1-based line where they are defined.

    Tables map to their header line, keys to their ``key =`` line. Arrays of tables
    get an index component: ``('registry', 0, 'prefix')``. Keys inside inline tables
    and multi-line values are not indexed; use ``line_of`` for the nearest prefix.
    """
    index = {}
    table = ()
    array_counts = {}
    depth = 0
    ml_delim = None
    for lineno, line in enumerate(text.splitlines(), 1):
        if ml_delim is not None:
            j = line.find(ml_delim)
            if j < 0:
                continue
            rest = line[j + 3:]
            ml_delim = None
            depth, ml_delim = _value_state(rest, 0, depth)
            continue
        if depth > 0:
            depth, ml_delim = _value_state(line, 0, depth)
            continue
        s = line.strip()
        if not s or s[0] == '#':
            continue
        if s.startswith('[['):
            parts = _parse_key(s, 2)[0]
            key = tuple(parts)
            count = array_counts.get(key, 0)
            array_counts[key] = count + 1
            table = key + (count,)
            index.setdefault(table, lineno)
            index.setdefault(key, lineno)
            continue
        if s[0] == '[':
            parts = _parse_key(s, 1)[0]
            table = tuple(parts)
            index.setdefault(table, lineno)
            continue
        parts, i = _parse_key(s, 0)
        if not parts or i >= len(s) or s[i] != '=':
            continue
        path = table + tuple(parts)
        index.setdefault(path, lineno)
        depth, ml_delim = _value_state(s, i + 1, 0)
    return index


def line_of(index, path):
    """Line of ``path`` in a key index; else the first line of a key under it (``[a.b.c]`` for
    ``a.b``); else the line of its longest defined prefix; or None."""
    path = tuple(path)
    line = index.get(path)
    if line is not None:
        return line
    n = len(path)
    under = [v for k, v in index.items() if len(k) > n and k[:n] == path]
    if under:
        return min(under)
    while path:
        path = path[:-1]
        line = index.get(path)
        if line is not None:
            return line
    return None


def table_of_line(text, lineno):
    """Header text of the TOML table enclosing 1-based ``lineno`` ('' for the root)."""
    lines = text.splitlines()
    for i in range(min(lineno, len(lines)) - 1, -1, -1):
        s = lines[i].strip()
        if s.startswith('['):
            return s
    return ''


# ---------------------------------------------------------------- YAML

def _require_yaml():
    if not HAS_YAML:
        raise MissingLibrary('PyYAML is required on the controller: pip install PyYAML')


def _index_node(node, path, index, seen=None):
    # Each node once: an aliased node is indexed where it first appears, so aliases (and an
    # alias bomb, or a recursive alias) cost one visit per node, not one per path.
    seen = set() if seen is None else seen
    if path not in index:
        index[path] = node.start_mark.line + 1
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        first = {}
        for knode, vnode in node.value:
            key = knode.value if isinstance(knode, yaml.ScalarNode) else None
            if key is None:
                continue
            if key in first and key != '<<':
                # Go's YAML decoders (k3s, kubelet) refuse a key given twice; PyYAML keeps the last.
                raise ParseError('duplicate key "%s" (first at line %d)' % (key, first[key]), knode.start_mark.line + 1)
            first[key] = knode.start_mark.line + 1
            sub = path + (key,)
            index.setdefault(sub, knode.start_mark.line + 1)
            _index_node(vnode, sub, index, seen)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _index_node(item, path + (i,), index, seen)


def yaml_graph_problem(text, max_values):
    """(line, words) of the first YAML structure a planner must not edit, or None.

    - more than ``max_values`` values once aliases are expanded (an alias bomb: a few lines
      that expand to billions of values when walked);
    - an alias to a node that contains itself (a cycle);
    - a duplicate key in a mapping (YAML forbids it; readers disagree on which value wins).
    Works on the composed node graph, with each node visited once. Raises ParseError.
    """
    _require_yaml()
    loader = _YamlLoader(text_of(text))
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is None:
                continue
            sizes = {}
            problem = _graph_size(node, sizes, set(), max_values)
            if problem:
                return problem
    except yaml.YAMLError as exc:
        raise _yaml_error(exc)
    finally:
        loader.dispose()
    return None


def _graph_size(node, sizes, stack, max_values):
    """Expanded value count of ``node`` memoized in ``sizes``; a problem tuple when one is found."""
    todo = [(node, False)]
    while todo:
        cur, done = todo.pop()
        key = id(cur)
        if done:
            stack.discard(key)
            children = _children(cur)
            total = 1 + sum(sizes[id(c)] for c in children)
            sizes[key] = total
            if total > max_values:
                return (cur.start_mark.line + 1, 'expands to more than %d values through aliases' % max_values)
            continue
        if key in sizes:
            continue
        if key in stack:
            return (cur.start_mark.line + 1, 'an alias refers to a node that contains it (a cycle)')
        stack.add(key)
        if isinstance(cur, yaml.MappingNode):
            first = {}
            for knode, _vnode in cur.value:
                if isinstance(knode, yaml.ScalarNode) and knode.value != '<<':
                    if knode.value in first:
                        return (knode.start_mark.line + 1, 'duplicate key %s (first at line %d)' % (
                            _quoted(knode.value), first[knode.value]))
                    first[knode.value] = knode.start_mark.line + 1
        todo.append((cur, True))
        for child in _children(cur):
            if id(child) in stack and id(child) not in sizes:
                return (child.start_mark.line + 1, 'an alias refers to a node that contains it (a cycle)')
            if id(child) not in sizes:
                todo.append((child, False))
    return None


def _children(node):
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _quoted(text):
    text = text if len(text) <= 60 else text[:57] + '...'
    return '"%s"' % text.replace('\\', '\\\\').replace('"', '\\"').replace('\n', '\\n')


def _yaml_error(exc):
    mark = getattr(exc, 'problem_mark', None) or getattr(exc, 'context_mark', None)
    context = getattr(exc, 'context_mark', None)
    if context is not None and 'end of stream' in (getattr(exc, 'problem', None) or ''):
        # An unclosed quote or bracket: the parser gives up at the end of the file; the line
        # to fix is the one that opened it.
        mark = context
    line = mark.line + 1 if mark is not None else None
    # Only the problem/context words: str(exc) quotes the offending line, which may hold a secret.
    words = [w for w in (getattr(exc, 'context', None), getattr(exc, 'problem', None)) if w]
    return ParseError('; '.join(words) or exc.__class__.__name__, line)


# Aliases let a small document stand for a huge one ("billion laughs"); node files are read
# by the controller, so the expanded size is bounded before anything is constructed.
MAX_YAML_NODES = 200000


def _expanded_size(node, memo, depth=0):
    key = id(node)
    if key in memo:
        return memo[key]
    if depth > 200:
        raise ParseError('nested more than 200 levels deep', node.start_mark.line + 1)
    memo[key] = 1  # a cycle counts once
    size = 1
    if isinstance(node, yaml.MappingNode):
        for knode, vnode in node.value:
            size += _expanded_size(knode, memo, depth + 1) + _expanded_size(vnode, memo, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            size += _expanded_size(item, memo, depth + 1)
    memo[key] = size
    return size


def load_yaml(text):
    """Parse one YAML document. Returns (data, line_index). Raises ParseError."""
    docs = load_yaml_all(text)
    if not docs:
        return None, {}
    if len(docs) > 1:
        raise ParseError('expected a single document in the stream, found %d' % len(docs), None)
    return docs[0]


def load_yaml_all(text):
    """Parse a YAML stream. Returns a list of (data, line_index). Raises ParseError."""
    _require_yaml()
    loader = _YamlLoader(text_of(text))
    docs = []
    try:
        while loader.check_node():
            node = loader.get_node()
            if node is not None and _expanded_size(node, {}) > MAX_YAML_NODES:
                raise ParseError('the document expands to more than %d values through aliases (anchors '
                                 'referenced again and again); refused' % MAX_YAML_NODES, node.start_mark.line + 1)
            data = loader.construct_document(node)
            index = {}
            if node is not None:
                _index_node(node, (), index)
            docs.append((data, index))
    except yaml.YAMLError as exc:
        raise _yaml_error(exc)
    finally:
        loader.dispose()
    return docs
