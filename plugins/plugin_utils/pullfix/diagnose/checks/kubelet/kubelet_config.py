# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Finding module of kubelet-config-unparsable: catalogue entries and user text, the check and the cases (see
diagnose/catalogue.py)."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

from ...catalogue import MANUAL, case, finding

FINDINGS = {
    'kubelet-config-unparsable': finding(
        'error', 'Kubelet configuration file cannot be parsed',
        MANUAL, 'pull',
        applies_to='every kubelet (the `--config` file and `--config-dir` drop-ins it runs with)',
        doc="""`/var/lib/kubelet/config.yaml` is not valid YAML; kubelet will not start and the diagnosis cannot read its endpoints.

Error text:

```text
failed to load kubelet config file, path: /var/lib/kubelet/config.yaml, error: failed to load Kubelet config file /var/lib/kubelet/config.yaml, error \
failed to decode: yaml: line 3: did not find expected node content
```

(The prefix is verbatim; the parser detail after it depends on the version and the file.)

Evidence shown (example):

```text
/var/lib/kubelet/config.yaml:3 containerRuntimeEndpoint: [unix:///x
```
"""),
}

# Positive and near-miss cases: build(ev, h) edits the healthy evidence fixture with the
# test helpers h (tests/unit/plugins/plugin_utils/pullfix_helpers.py).
CASES = {
    'kubelet-config-unparsable': (
        case(lambda ev, h: h.with_file(ev, h.KCONF, 'kind: KubeletConfiguration\ncontainerRuntimeEndpoint: [unix:///x\n',
                                       'kubelet-config')),
        case(lambda ev, h: h.with_file(ev, h.KCONF, 'kind: KubeletConfiguration\n', 'kubelet-config'))),
}

# Recorded while the model is built (model.Problems) and reported here.
check = None
SOURCE = "the runtime detection (diagnose/runtime.py) while it reads kubelet's configuration"
