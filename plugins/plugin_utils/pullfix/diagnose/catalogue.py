# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""The finding modules under ``checks/<area>/<name>.py``, found by walking the package.

A finding module holds ``FINDINGS`` (id -> ``finding(...)``: catalogue entry and user text),
``check(ctx, models)`` (or ``check = None`` and ``SOURCE``: who adds the finding instead) and
``CASES`` (id -> (positive, near-miss)). An area package (``checks/<area>/__init__.py``) holds
``TITLE``, ``RANK`` and ``INTRO`` for docs/findings.md, and helpers its modules share.
Nothing here lists the modules: adding a finding is adding a module."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import importlib
import pkgutil

_P = 'kubenode.pullfix.'
CONTAINERD = _P + 'containerd_registry'
REGISTRIES = _P + 'registries_conf'
SOCKET = _P + 'runtime_socket'
SHIM = _P + 'cri_shim'
NODE = _P + 'node_runtime'
PROXY_ENV = _P + 'proxy_env'
MANUAL = 'manual'

_KEYS = ('severity', 'title', 'remediation', 'category')


def finding(severity, title, remediation, category, applies_to, doc, error_text=None, example=None, causes=(),
            report_only=False, runtimes=()):
    """One catalogue entry with its user documentation (docs/findings.md is rendered from it).

    ``doc``: what is wrong and why; ``error_text``: what the user sees in kubelet, kubeadm, the runtime
    or crictl; ``example``: the evidence lines the finding shows; ``causes``: the ids that cause this
    one, most specific first; ``report_only``: the report adds it, the diagnosis never does;
    ``runtimes``: the runtimes whose files the finding is about (e.g. k3s, rke2). On a node whose
    runtime is another one the condition fails nothing now: it is reported under its own warning id,
    ``<id>-runtime-unused`` (see unused_runtime_twin), never as an error."""
    return {'severity': severity, 'title': title, 'remediation': remediation, 'category': category,
            'applies_to': applies_to, 'doc': doc, 'error_text': error_text, 'example': example,
            'causes': tuple(causes), 'report_only': report_only, 'runtimes': tuple(runtimes)}


UNUSED_SUFFIX = '-runtime-unused'
_RUNTIME_NAMES = {'k3s': 'k3s', 'rke2': 'RKE2', 'crio': 'CRI-O', 'containerd': 'containerd', 'docker': 'Docker'}


def runtime_names(runtimes):
    return '/'.join(_RUNTIME_NAMES.get(r, r) for r in runtimes)


def unused_runtime_twin(fid, e):
    """The warning a runtime-bound finding becomes where that runtime is not the one kubelet uses:
    its own id (one id, one severity), no role acts on it."""
    names = runtime_names(e['runtimes'])
    return fid + UNUSED_SUFFIX, dict(
        e, severity='warning', remediation=MANUAL, runtimes=(), causes=(),
        title='%s (%s is not the runtime kubelet uses here)' % (e['title'], names),
        doc='The condition of [`%s`](#%s), on a node where kubelet uses another runtime than %s: nothing fails '
            'now, but it does once %s runs here (or if the runtime detection is wrong). Fix the file, or remove it '
            'if %s is not meant to run on this node.\n' % (fid, fid, names, names, names))


def expanded(mod):
    """(id, entry) of a module's findings, each runtime-bound one followed by its twin."""
    out = []
    for fid, e in mod.FINDINGS.items():
        out.append((fid, e))
        if e['runtimes'] and e['severity'] == 'error':
            out.append(unused_runtime_twin(fid, e))
    return out


def case(build=None, settings=None, expect=None):
    """A positive or near-miss case of a finding: ``build(ev, h)`` edits a copy of the healthy evidence
    fixture (tests/unit/fixtures/evidence/healthy-containerd.json) with the test helpers ``h``;
    ``settings`` are the pullfix_* settings (``_verify``: node_evidence's verification pulls);
    ``expect`` (positive cases): values the finding must carry, e.g. {'remediation': 'manual',
    'next_step': <text it contains>}; by default the catalogue's remediation and no next_step."""
    return {'build': build, 'settings': dict(settings or {}), 'expect': dict(expect or {})}


_MODULES = []


def modules():
    """Every finding module, in a stable order (area rank, area, module name)."""
    if not _MODULES:
        from . import checks
        found = []
        for info in pkgutil.walk_packages(checks.__path__, checks.__name__ + '.'):
            mod = importlib.import_module(info.name)
            if getattr(mod, 'FINDINGS', None) is not None:
                area = importlib.import_module(info.name.rsplit('.', 1)[0])
                found.append(((getattr(area, 'RANK', 99), area.__name__, info.name), mod))
        found.sort(key=lambda pair: pair[0])
        seen = {}
        for _key, mod in found:
            for fid in mod.FINDINGS:
                if fid in seen:
                    raise ValueError('finding id %r is declared by %s and %s' % (fid, seen[fid], mod.__name__))
                seen[fid] = mod.__name__
        _MODULES.extend(mod for _key, mod in found)
    return list(_MODULES)


def area_of(mod):
    return importlib.import_module(mod.__name__.rsplit('.', 1)[0])


def entries():
    """id -> (severity, title, remediation, category), the tuple the collector fills findings from."""
    return dict((fid, tuple(e[k] for k in _KEYS)) for mod in modules() for fid, e in expanded(mod))


def causes():
    """symptom id -> the ids that cause it, most specific first."""
    return dict((fid, e['causes']) for mod in modules() for fid, e in mod.FINDINGS.items() if e['causes'])


def report_only():
    return frozenset(fid for mod in modules() for fid, e in expanded(mod) if e['report_only'])


def runtime_bound():
    """id -> (runtimes, twin id) of every runtime-bound error."""
    return dict((fid, (e['runtimes'], unused_runtime_twin(fid, e)[0])) for mod in modules()
                for fid, e in mod.FINDINGS.items() if e['runtimes'] and e['severity'] == 'error')
