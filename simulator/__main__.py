"""Entry point for ``python -m simulator`` (``python -m simulator bimetri ...``)."""

import sys

if sys.argv[1:2] == ["bimetri"]:
    from .bimetri import main as bimetri_main

    raise SystemExit(bimetri_main(sys.argv[2:]))

from .cli import main

raise SystemExit(main())
