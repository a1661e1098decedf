"""Test-only stand-in for Colab's shell module.

Otter decides it runs in Colab when str(get_ipython()) mentions "google.colab"; a shell class
defined in a module of this name makes that string true, so Otter takes its real Colab path.
"""

from ipykernel.zmqshell import ZMQInteractiveShell


class Shell(ZMQInteractiveShell):
    """The ordinary Jupyter shell, under Colab's module name."""
