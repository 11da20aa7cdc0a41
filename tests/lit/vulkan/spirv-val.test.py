"""Runs spirv-val on every .spv file of each folder; fails on any error or
on a folder with no kernels (nothing would have been validated)."""
import pathlib
import subprocess
import sys

status = 0
for folder in map(pathlib.Path, sys.argv[1:]):
    kernels = sorted(folder.glob("*.spv"))
    if not kernels:
        print(f"error: no kernels in {folder}")
        status = 1
        continue
    failed = 0
    for spv in kernels:
        check = subprocess.run(["spirv-val", "--target-env", "vulkan1.1", str(spv)],
                               capture_output=True, text=True)
        if check.returncode != 0:
            print(f"error: {spv}: {check.stderr.strip()}")
            failed += 1
    if failed:
        status = 1
    else:
        print(f"{len(kernels)} kernels in {folder.name} pass spirv-val")
sys.exit(status)
