"""Test-only stand-in for google.colab.files: download() checks the file and says it started."""

import os


def download(filename):
    if not os.path.exists(filename):
        raise FileNotFoundError(f"Cannot find file: {filename}")       # as Colab's own does
    print(f"[Colab stand-in] download started: {filename}")
