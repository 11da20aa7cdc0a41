# lit configuration for nabla's FileCheck tests.
import os
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

# The JIT's compile cache of the tests lives in the build tree, not in the
# user's ~/.cache (cached and fresh code compute the same: see
# tests/unit/CompileCacheTest.cpp).
config.environment["NABLA_CACHE_DIR"] = os.path.join(config.nabla_obj_root, "compile-cache")
