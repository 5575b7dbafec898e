"""`make proto`: regenerate Python gRPC code from proto/ with the pinned grpcio-tools.

Output goes to services/govops/ (not committed; every install regenerates it, so it cannot
drift from the .proto files)."""

from __future__ import annotations

import shutil
import sys
from importlib import resources

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
    rc = protoc.main(["protoc", f"-I{proto_root}", f"-I{well_known}", f"--python_out={out}",
                      f"--pyi_out={out}", f"--grpc_python_out={out}", *files])
    if rc != 0:
        return rc
    for directory in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    print(f"generated {len(files)} proto files into {target.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
