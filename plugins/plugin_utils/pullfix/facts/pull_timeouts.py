# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""How long containerd and CRI-O let a pull go without progress before they cancel it.

containerd (`image_pull_progress_timeout`, read at the tag named next to each fact):
- absent in 1.6 (v1.6.0 .. v1.6.38: no such field in pkg/cri/config/config.go).
- 1.7.0 .. 1.7.9: default 1m (v1.7.0 pkg/cri/config/config_unix.go 112 `time.Minute.String()`).
- 1.7.10 and later, 2.x: default 5m (v1.7.10 pkg/cri/config/config.go 52
  `defaultImagePullProgressTimeoutDuration = 5 * time.Minute`; v2.3.4 internal/cri/config/config.go 63).
- "0" disables the watchdog (v1.7.0 pkg/cri/server/image_pull.go 590, v2.3.4
  internal/cri/server/images/image_pull.go 687 `if reporter.timeout == 0`).
- A value Go cannot parse stops the CRI plugin from loading ("invalid image pull progress timeout",
  v1.7.0 pkg/cri/config/config.go 518, v2.3.4 internal/cri/config/config.go 550); an explicit empty
  string passes that check (`if c.ImagePullProgressTimeout != ""`) but then fails every pull with
  `failed to parse image_pull_progress_timeout "": time: invalid duration ""` (v1.7.0
  pkg/cri/server/image_pull.go 123-125, v2.3.4 internal/cri/server/images/image_pull.go 163-165).
- The error a user sees: `cancel pulling image <ref> because of no progress in <timeout>` in the
  containerd journal (v2.3.4 image_pull.go 728 and 1044), then the pull ends `context canceled`.
- Where it is read: a version 2 file (and a version-less file on 1.x, under `plugins.cri`) at the
  top of the CRI table; a version 3 file under `[plugins."io.containerd.cri.v1.images"]`.
  containerd 2.x migrates version 1/2 files into the images plugin (v2.1.0
  plugins/cri/images/plugin.go 164-204, the list includes image_pull_progress_timeout), so a
  version 2 file is still read by 2.x; in a version 3 file the old table is not read.

CRI-O (`[crio.image] pull_progress_timeout`):
- before 1.30.0: no progress watchdog (v1.29.0 server/image_pull.go has none).
- 1.30.0 .. 1.30.10 and 1.31.0 .. 1.31.2: fixed 10 s in code, not configurable (v1.30.0
  server/image_pull.go 276 `const timeout = 10 * time.Second`, v1.31.0 same file 259).
- 1.30.11+, 1.31.3+, 1.32.x: the option, default 10s (v1.31.3 pkg/config/config.go 955,
  v1.32.0 pkg/config/config.go 959); the progress interval is a tenth of it.
- 1.33.0 and later: default 0 = disabled (v1.33.0 pkg/config/config.go 944; server/image_pull.go
  262-266 only cancels when the timeout is not 0).
- The log line: `Timed out on waiting up to <timeout> for image pull progress updates` (v1.33.0
  server/image_pull.go 264); kubelet then shows e.g. `copying config: context canceled`.
- Files: /etc/crio/crio.conf, then every regular file under /etc/crio/crio.conf.d in lexical
  order (filepath.Walk, v1.33.0 pkg/config/config.go 834-857); a later file wins key by key.
"""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ..evidence import parse_version
from .containerd import CRI_V2, IMAGES_V3, table_value
from . import go_duration

KEY = 'image_pull_progress_timeout'
CONTAINERD_SINCE = (1, 7, 0)
CONTAINERD_5M_SINCE = (1, 7, 10)
CONTAINERD_DEFAULT_OLD = 60.0
CONTAINERD_DEFAULT = 300.0

CRIO_KEY = 'pull_progress_timeout'
CRIO_TABLE = ('crio', 'image')
CRIO_MAIN = '/etc/crio/crio.conf'
CRIO_DROPIN_DIR = '/etc/crio/crio.conf.d'
CRIO_FIXED = 10.0
# (first, last) releases with the fixed, unconfigurable 10 s watchdog.
CRIO_FIXED_RANGES = (((1, 30, 0), (1, 30, 10)), ((1, 31, 0), (1, 31, 2)))
CRIO_WATCHDOG_SINCE = (1, 30, 0)
CRIO_DISABLED_BY_DEFAULT_SINCE = (1, 33, 0)

CONTAINERD_LOG = 'cancel pulling image %s because of no progress in %s'
CRIO_LOG = 'Timed out on waiting up to %s for image pull progress updates'


def containerd_table(config_version):
    """Key path of the table whose `image_pull_progress_timeout` containerd reads, per file version."""
    if config_version == 3:
        return ('plugins', IMAGES_V3)
    if config_version == 2:
        return ('plugins', CRI_V2)
    return ('plugins', 'cri')


def _file_version(config):
    value = config.get('version') if isinstance(config, dict) else None
    return value if isinstance(value, int) and not isinstance(value, bool) else 1


def containerd_default(version):
    """Built-in default in seconds for a containerd version tuple; None where the setting does not exist."""
    if version is None:
        return None
    if version < CONTAINERD_SINCE:
        return None
    return CONTAINERD_DEFAULT_OLD if version < CONTAINERD_5M_SINCE else CONTAINERD_DEFAULT


def containerd_progress_timeout(version, cri_config):
    """(seconds or None, source) of the progress timeout containerd applies to CRI pulls.

    ``version`` is the containerd version text or tuple, ``cri_config`` the whole parsed
    config.toml (dict). seconds: 0.0 = disabled, None = no watchdog in this version or a value
    every pull fails on (the source says which).
    """
    v = parse_version(version) if isinstance(version, str) else version
    default = containerd_default(v)
    if v is not None and default is None:
        return None, 'containerd %d.%d.%d has no image_pull_progress_timeout (added in 1.7.0)' % v
    path = containerd_table(_file_version(cri_config)) + (KEY,)
    value = table_value(cri_config, path)
    where = '.'.join(path)
    if value is None:
        if default is None:
            return None, 'unknown containerd version: default 1m (1.7.0-1.7.9) or 5m (1.7.10+)'
        return default, 'default of containerd %d.%d.%d' % v
    if not isinstance(value, str):
        return None, '%s = %r is not a duration string: the CRI plugin does not load' % (where, value)
    if value == '':
        return None, '%s = "": every pull fails (failed to parse image_pull_progress_timeout "")' % where
    try:
        seconds = go_duration.parse(value)
    except go_duration.DurationError as exc:
        return None, '%s = %r: the CRI plugin does not load (invalid image pull progress timeout: %s)' % (
            where, value, exc)
    return seconds, where


def containerd_misplaced(cri_config):
    """Key paths where `image_pull_progress_timeout` is written but containerd does not read it."""
    read = containerd_table(_file_version(cri_config)) + (KEY,)
    out = []

    def walk(node, path):
        if not isinstance(node, dict):
            return
        for key, value in node.items():
            here = path + (key,)
            if key == KEY and here != read:
                out.append(here)
            walk(value, here)
    walk(cri_config, ())
    return out


def crio_default(version):
    """(seconds or None, why) CRI-O applies when no file sets pull_progress_timeout."""
    v = parse_version(version) if isinstance(version, str) else version
    if v is None:
        return None, 'unknown CRI-O version'
    if v < CRIO_WATCHDOG_SINCE:
        return None, 'CRI-O %d.%d.%d has no pull progress watchdog' % v
    for first, last in CRIO_FIXED_RANGES:
        if first <= v <= last:
            return CRIO_FIXED, 'fixed 10s in CRI-O %d.%d.%d (not configurable)' % v
    if v >= CRIO_DISABLED_BY_DEFAULT_SINCE:
        return 0.0, 'default of CRI-O %d.%d.%d (disabled)' % v
    return CRIO_FIXED, 'default of CRI-O %d.%d.%d' % v


def crio_configurable(version):
    v = parse_version(version) if isinstance(version, str) else version
    if v is None or v < CRIO_WATCHDOG_SINCE:
        return False
    return not any(first <= v <= last for first, last in CRIO_FIXED_RANGES)


def crio_pull_progress_timeout(version, crio_conf):
    """(seconds or None, source) of CRI-O's pull progress timeout.

    ``crio_conf`` is a list of (path, parsed TOML dict) in the order CRI-O reads them
    (crio.conf, then the crio.conf.d files in lexical order), or one dict.
    """
    default, why = crio_default(version)
    if not crio_configurable(version):
        return default, why
    layers = crio_conf if isinstance(crio_conf, list) else [(CRIO_MAIN, crio_conf)]
    found = None
    for path, data in layers:
        value = table_value(data, CRIO_TABLE + (CRIO_KEY,))
        if value is not None:
            found = (path, value)
    if found is None:
        return default, why
    path, value = found
    where = '%s [crio.image] pull_progress_timeout' % path
    if not isinstance(value, str):
        return None, '%s = %r is not a duration string' % (where, value)
    try:
        return go_duration.parse(value), where
    except go_duration.DurationError as exc:
        return None, '%s = %r: %s' % (where, value, exc)


def crio_misplaced(crio_conf):
    """(path, key path) where pull_progress_timeout is written outside [crio.image] (never read there)."""
    layers = crio_conf if isinstance(crio_conf, list) else [(CRIO_MAIN, crio_conf)]
    out = []
    for path, data in layers:
        def walk(node, keys):
            if not isinstance(node, dict):
                return
            for key, value in node.items():
                here = keys + (key,)
                if key == CRIO_KEY and here != CRIO_TABLE + (CRIO_KEY,):
                    out.append((path, here))
                walk(value, here)
        walk(data, ())
    return out


def progress_timeout_cut(log_lines):
    """The first containerd or CRI-O line that says a pull was cancelled for lack of progress, or None."""
    for line in log_lines or ():
        if 'because of no progress in' in line or 'for image pull progress updates' in line:
            return line
    return None
