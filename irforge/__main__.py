"""python -m irforge: the same CLI as the `irforge` command."""
from irforge.cli.main import irforge_main

raise SystemExit(irforge_main())
