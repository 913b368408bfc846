import os
import sys

# accelsim's config models use no pydantic plugin: skip pydantic's scan of every installed
# package's entry points (~20 ms of each command) unless the user configured plugins
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
# the simulator does no linear algebra: numpy's BLAS need not start a thread per core when it is
# imported (~35 ms of CPU per command; sweep workers are one process per core anyway)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from accelsim.cli import main  # noqa: E402

sys.exit(main())
