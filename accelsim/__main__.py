import os
import sys

# accelsim's config models use no pydantic plugin: skip pydantic's scan of every installed
# package's entry points (~20 ms of each command) unless the user configured plugins
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")

from accelsim.cli import main  # noqa: E402

sys.exit(main())
