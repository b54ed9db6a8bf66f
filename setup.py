"""Packages for setuptools; everything else is in pyproject.toml.

The top-level resources/ folder (style sheet, icons, desktop entry) is installed as the
package ``easymo_resources``: a plain ``resources`` package would clash with any other
distribution's, and pyproject's package discovery cannot rename a folder.
"""

from setuptools import find_namespace_packages, setup

setup(
    # Namespace discovery, as pyproject's did: data folders (migrations, built-in flows) count.
    packages=[*find_namespace_packages(include=["easymo_core*", "app*", "easymo_tools*"]),
              "easymo_resources"],
    package_dir={"easymo_resources": "resources"},
)
