"""`make proto`: regenerate Python gRPC code from proto/ with the pinned grpcio-tools.

Output goes to services/govops/ (not committed; every install regenerates it, so it cannot
drift from the .proto files): the modules of every package under proto/ (govops.common.v1
included) and DESCRIPTOR_SET, a FileDescriptorSet with source info (the comments) and imports,
from which govkit.grpc_server serves reflection so `grpcurl describe` shows the comments."""

from __future__ import annotations

import shutil
import sys
from importlib import resources
from pathlib import Path

from .config import REPO_ROOT

# In the generated `govops` package, so an installed image carries it (pyproject package-data).
DESCRIPTOR_SET_NAME = "descriptor_set.binpb"
DESCRIPTOR_SET = REPO_ROOT / "services" / "govops" / DESCRIPTOR_SET_NAME


def main() -> int:
    from grpc_tools import protoc

    proto_root = REPO_ROOT / "proto"
    out = REPO_ROOT / "services"
    target = out / "govops"
    if target.exists():
        shutil.rmtree(target)
    # proto/google/api holds googleapis' annotations.proto and http.proto for the google.api.http
    # options (buf resolves imports from proto/ too); their Python modules come from the
    # googleapis-common-protos package, so only GovOps' own files are generated here.
    files = sorted(str(p.relative_to(proto_root)) for p in proto_root.rglob("*.proto")
                   if p.relative_to(proto_root).parts[0] != "google")
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
    # The generated _pb2 modules embed descriptors without source info (no comments); reflection
    # serves this set instead (govkit.grpc_server.reflection_pool).
    rc = protoc.main(["protoc", f"-I{proto_root}", f"-I{well_known}", "--include_source_info",
                      "--include_imports", f"--descriptor_set_out={DESCRIPTOR_SET}", *files])
    if rc != 0:
        return rc
    for directory in [target, *[p for p in target.rglob("*") if p.is_dir()]]:
        (directory / "__init__.py").touch()
    print(f"generated {len(files)} proto files into {target.relative_to(REPO_ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
