"""Stand-in for the pip bootstrap script that ansible-test downloads.

ansible-test bootstraps pip in its sanity virtualenvs with a get-pip script fetched
from ci-files.testing.ansible.com, which is unreachable from the test machines.
`make sanity` installs this file in ansible-test's cache under that script's name.
It does the same job from what is at hand: ensurepip (bundled with CPython), then
pip from the package index for the requested versions.

Called as: python get_pip_X.py --disable-pip-version-check pip==X [--no-setuptools] [--no-wheel]
"""
import subprocess
import sys

# get-pip's own flags; pip install does not know them.
OWN_FLAGS = {"--no-setuptools", "--no-wheel"}

# ensurepip runs in a child: in-process it points PIP_CONFIG_FILE at /dev/null,
# which would hide the machine's pip configuration (index, CA bundle) from the
# install below.
subprocess.check_call([sys.executable, "-m", "ensurepip", "--upgrade"], stdout=subprocess.DEVNULL)
args = [a for a in sys.argv[1:] if a not in OWN_FLAGS]
sys.exit(subprocess.call([sys.executable, "-m", "pip", "install", "--quiet"] + args))
