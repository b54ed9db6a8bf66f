"""Tools around the product, not part of it: the benchmarks behind ``easymo bench`` and the
demo traffic of ``easymo-console --screenshots``.

They may import ``easymo_core`` and ``app``; neither imports them, except the console's
screenshot mode, which drives the demo. ``easymo bench`` reaches the core's CLI through the
``easymo.commands`` entry point (pyproject.toml), so the core never imports the console.
"""
