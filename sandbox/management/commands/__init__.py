"""The sandbox's commands (sandbox_upstream, demo, serve). They need the sandbox's own
packages, which a deployment installed from requirements.txt alone does not have: say
which list installs them, not only which module is missing."""

from importlib.util import find_spec

SANDBOX_PACKAGES = ("starlette", "jsonschema")

_missing = [name for name in SANDBOX_PACKAGES if find_spec(name) is None]
if _missing:
    raise ImportError(
        f"The sandbox commands need {', '.join(_missing)}: "
        "pip install -r requirements-sandbox.txt (make demo, make serve and make sandbox "
        "install it)"
    )
