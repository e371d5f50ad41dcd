import sys

from responsekit.conformance.cli import main

sys.exit(main())
