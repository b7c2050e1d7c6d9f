import sys

from perfeval_dash.cli import main

sys.exit(main())
