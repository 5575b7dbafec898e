"""`make proto`: regenerate Python gRPC code from proto/ with the pinned grpcio-tools.

Output goes to services/govops/ (not committed; every install regenerates it, so it cannot
drift from the .proto files)."""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from .config import REPO_ROOT


def main() -> int:
    from grpc_tools import protoc

    proto_root = REPO_ROOT / "proto"
    out = REPO_ROOT / "services"
    target = out / "govops"
    if target.exists():
        shutil.rmtree(target)
    files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto"))
    well_known = str(resources.files("grpc_tools") / "_proto")
    # Type stubs come from mypy-protobuf (enum fields typed as their ValueType, typed stubs and
    # servicers) when its plugins are installed (the dev extra); otherwise protoc's own .pyi.
    bindir = Path(sys.executable).parent
    plugins = {name: bindir / f"protoc-gen-{name}" for name in ("mypy", "mypy_grpc")}
    if all(p.exists() for p in plugins.values()):
        stubs = [*(f"--plugin=protoc-gen-{name}={path}" for name, path in plugins.items()),
                 f"--mypy_out=quiet:{out}", f"--mypy_grpc_out=quiet:{out}"]
    else:
        stubs = [f"--pyi_out={out}"]
    rc = protoc.main(["protoc", f"-I{proto_root}", f"-I{well_known}", f"--python_out={out}",
                      f"--grpc_python_out={out}", *stubs, *files])
    if rc != 0:
        return rc
    for directory in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    print(f"generated {len(files)} proto files into {target.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
