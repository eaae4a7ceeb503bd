# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of containerd-config-unparsable, containerd-config-rejected, containerd-import-missing:
catalogue entries and user text, the check and the cases (see diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'containerd-config-unparsable': finding(
        'error', 'containerd config.toml cannot be parsed',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""containerd's `config.toml` (or an imported file) is not valid TOML; containerd does not start. The evidence names the line from the TOML error.

Error text:

```text
containerd: failed to load TOML: /etc/containerd/config.toml: (2, 1): unexpected token
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/containerd/config.toml:2 [plugins."io.containerd.grpc.v1.cri"
```
"""),
    'containerd-config-rejected': finding(
        'error', 'containerd rejects its configuration and does not start',
        MANUAL, 'pull',
        applies_to="""containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files); `disabled_plugins` \
short ids in a version 2/3 file: 1.x needs 4 dot-separated parts, 2.x at least one dot; from `containerd config dump` on \
every version and either pull path (the dump does not load the CRI plugin)""",
        doc="""The file is valid TOML, but containerd refuses it when it starts, so it does not run and no CRI
socket appears (kubelet then reports `cri-endpoint-missing`, listed under this finding).

containerd's own word first: the gather runs the installed binary's `containerd [--config FILE] config dump`
(`runtime_view.containerd_config` in docs/evidence.md). When that fails with an exit status, this
finding names the command, its exit status and first stderr lines: the configuration as it is now is
refused by the binary that is installed now, so the node breaks at containerd's next restart, even while an
older process still runs with what it loaded before. Only when the diagnosis did not already name the
file's fault itself (this id, `containerd-config-unparsable`, `containerd-import-missing`).
`config dump` loads the files and decodes the server config, but does not load the CRI plugin: a file
the CRI plugin refuses (`mirrors` next to `config_path`) or drops (`disabled_plugins`) still dumps
with exit status 0; those are recognised from the files, under `containerd-mirrors-with-config-path`
and `containerd-cri-disabled`.

Recognised from the files: a value of the wrong type (`version = "2"`, `imports` or `disabled_plugins` written as a string,
a non-string `config_path`: containerd decodes them into typed fields and fails), `disabled_plugins` written as a string (`disabled_plugins = "cri"`:
containerd decodes it into a list of strings and fails), and a short plugin id such as `"cri"`
in the `disabled_plugins` of a version 2 or 3 file, where containerd wants plugin URIs
(1.x: four dot-separated parts, `services/server/config/config.go` ValidateV2; 2.x: at least one dot,
`cmd/containerd/server/config/config.go` ValidateVersion).
""",
        error_text='containerd: failed to load TOML from /etc/containerd/config.toml: invalid disabled plugin URI "cri" expect io.containerd.x.vx',
        example='/etc/containerd/config.toml:2 disabled_plugins = "cri"'),
    'containerd-import-missing': finding(
        'error', 'A containerd imports entry names a file that does not exist: containerd does not start',
        MANUAL, 'pull',
        applies_to='containerd 1.6, 1.7, 2.0, 2.1, 2.2 (and the containerd embedded in k3s/RKE2 where it reads the same files)',
        doc="""containerd globs an `imports` entry only when it contains `*`; any other entry is opened as is,
and a file that does not exist stops containerd at start (every version: `resolveImports` and
`loadConfigFile` in containerd's server config). Gathering records such an entry even when it is missing.
""",
        error_text='containerd: failed to load TOML: /etc/containerd/conf.d/10-x.toml: open /etc/containerd/conf.d/10-x.toml: no such file or directory',
        example="""/etc/containerd/config.toml:2 imports = ["/etc/containerd/conf.d/10-x.toml"]
/etc/containerd/conf.d/10-x.toml: does not exist"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'containerd-config-unparsable': (
        case(lambda ev, h: h.cfg(ev, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"\n')),
        case(lambda ev, h: h.cfg(ev, 'version = 2\n[plugins."io.containerd.grpc.v1.cri"]\n'))),
    'containerd-config-rejected': (
        case(lambda ev, h: h.cfg(ev, 'disabled_plugins = "cri"\n')),
        case(lambda ev, h: h.cfg(ev, 'disabled_plugins = ["cri"]\n'))),
    'containerd-import-missing': (
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD.replace('version = 2\n', 'version = 2\nimports = ["/etc/containerd/conf.d/10-x.toml"]\n')),
                            h.with_error(ev, '/etc/containerd/conf.d/10-x.toml', 'missing', 'containerd-config'))),
        case(lambda ev, h: (h.cfg(ev, h.V2_HEAD.replace('version = 2\n', 'version = 2\nimports = ["/etc/containerd/conf.d/*.toml"]\n'))))),
}

# Recorded while the model is built (model.Problems) and reported here; containerd-config-rejected also
# from containerd's own config dump (runtime_view).
SOURCE = ('the containerd configuration model (models/containerd.py) while it loads config.toml and its imports, '
          'and `containerd config dump` (models/runtime_view.py)')
_SAME_FAULT = ('containerd-config-unparsable', 'containerd-config-rejected', 'containerd-import-missing')


def check(ctx, models):
    """A config the installed binary refuses to dump: it does not start with it (at its next restart)."""
    err = models.runtime_view.dump_error if models.containerd_in_use() else None
    if not err or models.problems.ids() & set(_SAME_FAULT):
        return
    said = ' '.join(err['stderr'] + [err['message'] or '']).lower()
    if 'toml' not in said and 'config' not in said:
        return  # not containerd refusing its configuration (a binary that has no such command, ...)
    command = ' '.join(err['argv']) or '%s config dump' % (err['binary'] or 'containerd')
    lines = ['%s: exit status %s' % (command, err['rc'] if err['rc'] is not None else '?')]
    lines.extend(line.strip() for line in err['stderr'][:3] if line.strip())
    if err['message'] and not err['stderr']:
        lines.append(err['message'])
    ctx.findings.add('containerd-config-rejected', lines, (
        'The installed containerd refuses its configuration as it is now: `%s` failed (%s). containerd loads the '
        'same files when it starts, so it will not start at its next restart (a running containerd keeps what it '
        'loaded before until then) and kubelet finds no CRI socket. Fix the file the message names.' % (
            command, (err['message'] or 'exit status %s' % err['rc']).strip())))
