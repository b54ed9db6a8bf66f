"""What the bundle's executable runs (PyInstaller's entry script, see scripts/bundle).

A bundle has no Python to run ``-m``, but the console starts its sandbox as
``sys.executable -m app.sandbox_process``; in the bundle that is this executable again,
which serves the sandbox when asked so.
"""

import sys

if sys.argv[1:3] == ["-m", "app.sandbox_process"]:
    from app.sandbox_process import _child

    del sys.argv[1:3]
    raise SystemExit(_child())

from app.main import main  # only when not serving the sandbox

raise SystemExit(main())
