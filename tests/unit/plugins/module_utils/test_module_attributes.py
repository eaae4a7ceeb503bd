# -*- coding: utf-8 -*-
# Copyright (c) 2026, kubenode.pullfix maintainers
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Every module documents the common attributes (check_mode, diff_mode, platform) through the
collection's doc fragment, and the modules internal to the roles say so."""

from __future__ import absolute_import, division, print_function
__metaclass__ = type

import json
import os
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "..", ".."))
MODULES = sorted(f[:-3] for f in os.listdir(os.path.join(ROOT, "plugins", "modules")) if f.endswith(".py"))
INTERNAL = ("apply_changes", "diagnose", "remediate", "report")


@pytest.fixture(scope="module")
def docs():
    env = dict(os.environ)
    env.setdefault("ANSIBLE_COLLECTIONS_PATH", os.path.join(ROOT, ".build", "collections"))
    out = subprocess.run([os.path.join(os.path.dirname(sys.executable), "ansible-doc"), "--json", "-t", "module"]
                         + ["kubenode.pullfix." + m for m in MODULES],
                         check=True, capture_output=True, text=True, env=env).stdout
    return dict((name.rsplit(".", 1)[1], value["doc"]) for name, value in json.loads(out).items())


@pytest.mark.parametrize("module", MODULES)
def test_common_attributes_are_documented(docs, module):
    attributes = docs[module]["attributes"]
    for name in ("check_mode", "diff_mode", "platform"):
        assert attributes[name]["support"] in ("full", "partial", "none", "N/A"), (module, name)
        assert attributes[name]["description"], (module, name)  # from the fragment
    assert attributes["platform"]["platforms"] == "posix"


@pytest.mark.parametrize("module", MODULES)
def test_internal_modules_say_so(docs, module):
    says = "internal to the collection's roles" in docs[module]["short_description"]
    assert says is (module in INTERNAL)
