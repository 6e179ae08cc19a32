"""``python -m evidence``: the command line."""

from evidence.cli import main

raise SystemExit(main())
