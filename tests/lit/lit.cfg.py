# lit configuration for nabla's FileCheck tests.
import os
import shutil
import sys
import lit.formats

config.name = "nabla"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".mlir", ".nb", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.nabla_obj_root, "tests", "lit")
config.excludes = ["Inputs", "lit.cfg.py", "lit.site.cfg.py", "CMakeLists.txt"]

# nabla's tools first, then LLVM's FileCheck, not and split-file.
config.environment["PATH"] = os.pathsep.join(
    [config.nabla_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", os.environ["PATH"])]
)
config.substitutions.append(("%examples", os.path.join(config.nabla_src_root, "examples")))
config.substitutions.append(("%python", sys.executable))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))

# The CPU target the JIT picks on this machine (codegen/cpu/CpuPipeline.cpp,
# CpuTarget::forFeatures), as nabla-cpu-pipeline options: tests that
# compare nablac's output with nabla-opt's name it. "avx512bf16": the bf16
# dot-product kernels run here.
def host_cpu_flags():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return line.split(":", 1)[1].split()
    except OSError:
        pass
    return []
cpu_flags = host_cpu_flags()
cpu_target = "vector-bits=256 registers=16"
if "avx512f" in cpu_flags:
    cpu_target = "vector-bits=512 registers=32"
    if "avx512_bf16" in cpu_flags:
        cpu_target += " bf16-dot=1"
        config.available_features.add("avx512bf16")
config.substitutions.append(("%cpu_target", cpu_target))

# The JIT's compile cache of the tests lives in the build tree, not in the
# user's ~/.cache (cached and fresh code compute the same: see
# tests/unit/CompileCacheTest.cpp).
config.environment["NABLA_CACHE_DIR"] = os.path.join(config.nabla_obj_root, "compile-cache")

# Vulkan tests run on lavapipe (Mesa's CPU Vulkan driver) where it is
# installed, so they need no GPU; they are unsupported (and lit says so)
# only on a machine with no Vulkan device at all.
lavapipe = "/usr/share/vulkan/icd.d/lvp_icd.x86_64.json"
if os.path.exists(lavapipe) and "VK_DRIVER_FILES" not in os.environ:
    config.environment["VK_DRIVER_FILES"] = lavapipe
for name in ["VK_DRIVER_FILES", "VK_ICD_FILENAMES", "HOME", "XDG_CACHE_HOME"]:
    if name in os.environ and name not in config.environment:
        config.environment[name] = os.environ[name]
import subprocess
try:
    devices = subprocess.run(
        [os.path.join(config.nabla_tools_dir, "nablac"), "devices"],
        env=config.environment, capture_output=True, text=True, timeout=60)
    if devices.returncode == 0 and "vulkan:0" in devices.stdout:
        config.available_features.add("vulkan")
        if "llvmpipe" in devices.stdout:
            config.available_features.add("lavapipe")
    else:
        lit_config.note("no Vulkan device: the Vulkan tests are unsupported ("
                        + devices.stderr.strip() + ")")
except (OSError, subprocess.TimeoutExpired) as e:
    lit_config.note("nablac devices failed: " + str(e))
# Comparisons with PyTorch run where the Python that runs lit has torch and
# numpy (Debian: python3-torch); elsewhere lit reports them unsupported.
try:
    if subprocess.run([sys.executable, "-c", "import torch, numpy"],
                      capture_output=True, timeout=120).returncode == 0:
        config.available_features.add("torch")
except (OSError, subprocess.TimeoutExpired):
    pass
# Debian's fortunes package: the text corpus of the sequence examples.
if os.path.isdir("/usr/share/games/fortunes"):
    config.available_features.add("fortunes")
# Data-parallel training: where nabla was built with MPI and Open MPI's
# mpirun is installed (Debian: libopenmpi-dev, openmpi-bin). %mpirun2
# starts two processes on any machine (--oversubscribe: more processes
# than cores; --allow-run-as-root: CI runs as root).
if config.nabla_mpi and shutil.which("mpirun"):
    config.available_features.add("mpi")
    mpirun = "mpirun -np 2 --oversubscribe"
    if os.geteuid() == 0:
        mpirun += " --allow-run-as-root"
    config.substitutions.append(("%mpirun2", mpirun))
if shutil.which("spirv-val"):
    config.available_features.add("spirv-val")
