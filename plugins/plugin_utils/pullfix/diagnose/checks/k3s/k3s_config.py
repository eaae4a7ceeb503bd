# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of k3s-config-unparsable: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'k3s-config-unparsable': finding(
        'error', 'k3s/RKE2 config.yaml cannot be parsed',
        MANUAL, 'pull',
        applies_to='k3s, RKE2',
        runtimes=('k3s', 'rke2'),
        doc="""The k3s/RKE2 `config.yaml` (or a `config.yaml.d` drop-in) is not valid YAML; the service does not start and its endpoints cannot be read.

Error text:

```text
Error: yaml: line 1: did not find expected node content
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/etc/rancher/k3s/config.yaml:1 docker: [true
```
"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'k3s-config-unparsable-runtime-unused': (
        case(lambda ev, h: (h.with_version(ev, 'k3s', 'k3s version v1.32.2+k3s1 (abc)\ngo version go1.23.6'),
                            h.with_file(ev, '/etc/rancher/k3s/config.yaml', 'docker: [true\n', 'k3s-config'))),
        case(lambda ev, h: (h.k3s(ev), h.with_file(ev, '/etc/rancher/k3s/config.yaml', 'docker: [true\n', 'k3s-config')))),
    'k3s-config-unparsable': (
        case(lambda ev, h: (h.k3s(ev), h.with_file(ev, '/etc/rancher/k3s/config.yaml', 'docker: [true\n', 'k3s-config'))),
        case(lambda ev, h: (h.k3s(ev), h.with_file(ev, '/etc/rancher/k3s/config.yaml', 'write-kubeconfig-mode: "0644"\n', 'k3s-config')))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = 'the runtime detection (diagnose/runtime.py) while it reads the k3s/RKE2 config.yaml'
