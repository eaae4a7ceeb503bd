# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""What containerd says about itself (the evidence's ``runtime_view``, docs/evidence.md), read
into the few values the diagnosis compares with its own model of the files.

Where the runtime speaks it outranks the model: the pull path its log names, the config_path and
sandbox image of its own ``config dump``, whether its CRI plugin answers. Each value is None when
the runtime did not say (not running, no journal, a dump that failed, a CRI plugin that did not
load): the model built from the files serves then.

Sources, most trusted first for each value:
- pull path: the journal of the running containerd since its last start. "Falling back to local
  image pull mode" means the local pull path (facts.pull_path_from_log); on 2.1+ a journal read
  whole (not cut) without that line means the transfer service, unless the config dump sets
  use_local_image_pull = true, which chooses the local path without logging it (without a dump
  the log's silence decides nothing). Before 2.1 the CRI plugin has only the local path, so the
  log has nothing to add.
- config_path, sandbox image: ``containerd config dump`` (the merged config of that binary, imports
  included, as the files are NOW), then CRI Status ``info.config`` (1.6/1.7 only: the running
  process's CRI config; 2.x leaves the registry and sandbox image out of it).
- CRI plugin loaded: CRI Status answered with conditions (True); the journal names
  "failed to load plugin" for a CRI plugin id (False).
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ... import parse
from ...facts import containerd as facts

_CRI_PLUGIN_IDS = ('io.containerd.grpc.v1.cri', 'io.containerd.cri.v1.images', 'io.containerd.cri.v1.runtime')
FAILED_PLUGIN_LOG = 'failed to load plugin'


class RuntimeView(object):
    """The runtime's own values; None = it did not say. ``*_source``: where each value was read."""

    def __init__(self):
        self.present = False           # the evidence has a runtime_view at all
        self.dump = None               # parsed `containerd config dump` (dict), or None
        self.dump_source = None        # "containerd config dump (<binary>)"
        self.dump_error = None         # {binary, argv, kind, message, stderr} of a dump that failed
        self.config_path = None        # str ('' = none) or None
        self.config_path_source = None
        self.sandbox = None
        self.sandbox_source = None
        self.pull_path = None          # 'local' | 'transfer' | None
        self.pull_path_source = None
        self.cri_loaded = None         # True | False | None
        self.cri_loaded_source = None

    def roots(self):
        """The certs.d roots the runtime's config_path stands for on its pull path ([] when unknown)."""
        if not self.config_path:
            return []
        return facts.config_path_roots(self.pull_path or 'local', self.config_path)


def _dict(value):
    return value if isinstance(value, dict) else {}


def _lookup(data, keypath):
    for key in keypath:
        data = _dict(data).get(key)
    return data


def _first_dump(parts):
    """(entry, parsed) of the first config dump that ran; (failed entry, None) when all failed."""
    failed = None
    for entry in parts if isinstance(parts, list) else []:
        entry = _dict(entry)
        if entry.get('error') or entry.get('rc') not in (0, None) or not isinstance(entry.get('output'), str):
            if failed is None and _dict(entry.get('error')).get('kind') == 'exit_status':
                failed = entry
            continue
        if entry.get('truncated'):
            continue
        try:
            data = parse.load_toml(entry['output'])[0]
        except Exception:  # pylint: disable=broad-except
            continue  # what the binary printed is not TOML we read: it says nothing here
        return entry, data
    return failed, None


def _from_dump(view, entry, data):
    binary = entry.get('binary') or 'containerd'
    view.dump = data
    view.dump_source = 'containerd config dump (%s)' % binary
    version = data.get('version') if data.get('version') in (2, 3) else 2
    cp = _lookup(data, facts.registry_table(version) + ('config_path',))
    if isinstance(cp, str):
        view.config_path, view.config_path_source = cp, '%s: config_path = "%s"' % (view.dump_source, cp)
    sandbox = _lookup(data, facts.sandbox_key(version))
    if isinstance(sandbox, str) and sandbox:
        view.sandbox, view.sandbox_source = sandbox, '%s: %s = "%s"' % (
            view.dump_source, '.'.join(facts.sandbox_key(version)[2:]), sandbox)


def _from_cri_status(view, status):
    if status.get('error') or not status.get('conditions'):
        return
    view.cri_loaded = True
    view.cri_loaded_source = 'CRI Status on %s answered' % (status.get('endpoint') or 'the runtime endpoint')
    config = _dict(_dict(status.get('info')).get('config'))
    registry = config.get('registry')
    if view.config_path is None and isinstance(registry, dict) and isinstance(registry.get('configPath'), str):
        view.config_path = registry['configPath']
        view.config_path_source = 'CRI Status info.config.registry.configPath = "%s"' % view.config_path
    if view.sandbox is None and isinstance(config.get('sandboxImage'), str) and config['sandboxImage']:
        view.sandbox = config['sandboxImage']
        view.sandbox_source = 'CRI Status info.config.sandboxImage = "%s"' % view.sandbox


def _from_journal(view, journal, cv):
    if journal.get('error') or not isinstance(journal.get('lines'), list):
        return
    lines = [str(line) for line in journal['lines']]
    for line in lines:
        if FAILED_PLUGIN_LOG in line and any(pid in line for pid in _CRI_PLUGIN_IDS) and view.cri_loaded is None:
            view.cri_loaded = False
            view.cri_loaded_source = 'containerd log: %s' % line.strip()
    hit = facts.pull_path_from_log(lines)
    if hit:
        view.pull_path, view.pull_path_source = 'local', 'containerd log: %s' % hit[1]
        return
    if cv is None or cv < facts.TRANSFER_PULL_SINCE or journal.get('truncated') or view.cri_loaded is not True \
            or view.dump is None:
        return  # the log's silence says nothing without the effective config beside it
    if facts.effective_images_config([view.dump]).get('use_local_image_pull') is True:
        # use_local_image_pull chooses the local path without logging the fallback line
        view.pull_path = 'local'
        view.pull_path_source = '%s: use_local_image_pull = true' % view.dump_source
    else:
        view.pull_path = 'transfer'
        view.pull_path_source = ('containerd pulls through the transfer service: its log since its last start (%s) '
                                 'has no "%s" line and %s does not set use_local_image_pull' % (
                                     journal.get('unit') or 'containerd', facts.LOCAL_PULL_LOG, view.dump_source))


def build(ev, cv):
    """The RuntimeView of the evidence ``ev`` (an Evidence); ``cv``: containerd's version tuple or None."""
    view = RuntimeView()
    raw = ev.raw.get('runtime_view') if isinstance(ev.raw, dict) else None
    if not isinstance(raw, dict):
        return view
    view.present = True
    entry, data = _first_dump(raw.get('containerd_config'))
    if data is not None:
        _from_dump(view, entry, data)
    elif entry is not None:
        err = _dict(entry.get('error'))
        view.dump_error = {'binary': entry.get('binary'), 'argv': entry.get('argv') or [],
                           'kind': err.get('kind'), 'message': err.get('message'), 'rc': entry.get('rc'),
                           'stderr': [str(s) for s in entry.get('stderr') or []]}
    _from_cri_status(view, _dict(raw.get('cri_status')))
    _from_journal(view, _dict(raw.get('journal')), cv)
    return view
