"""A Jupyter kernel whose shell looks like Colab's; start it with
--IPKernelApp.kernel_class=colab_kernel.ColabKernel (with this folder on PYTHONPATH)."""

from google.colab._shell import Shell
from ipykernel.ipkernel import IPythonKernel


class ColabKernel(IPythonKernel):
    shell_class = Shell
