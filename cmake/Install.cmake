# What `cmake --install build --prefix P` puts under P, and the Debian
# package `cpack -G DEB` makes of it:
#   bin/nablac, bin/nabla-opt
#   include/nabla/...               the public headers (and generated .inc)
#   lib/libNabla*.a                 the libraries of the C++ API
#   lib/cmake/nabla/                find_package(nabla) gives nabla::api
#   lib/pkgconfig/nabla.pc
#   share/nabla/examples/           the bundled models and data
# The installed tools and libraries use Debian's LLVM and MLIR 22 from
# /usr/lib/llvm-22, which the package depends on.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(NABLA_LIBRARIES NablaSyntax NablaMLIRGen NablaOnnx NablaOnnxExport NablaIR NablaPasses
    NablaCodegen NablaTensor NablaRuntime NablaVulkan NablaAPI)
set_target_properties(NablaAPI PROPERTIES EXPORT_NAME api)
target_compile_features(NablaAPI INTERFACE cxx_std_17)
# The headers include TableGen's output as "ir/NablaOps.h.inc": it is
# installed in include/nabla/gen, a directory of its own.
foreach(lib ${NABLA_LIBRARIES})
  target_include_directories(${lib} INTERFACE
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}/nabla/gen>)
endforeach()

install(TARGETS ${NABLA_LIBRARIES} EXPORT nablaTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# The tools find libMLIR.so and libLLVM.so in /usr/lib/llvm-22/lib, where
# the build linked them.
set_target_properties(nablac nabla-opt PROPERTIES
  INSTALL_RPATH_USE_LINK_PATH ON)
install(TARGETS nablac nabla-opt RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/nabla DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(FILES ${PROJECT_BINARY_DIR}/include/nabla/Version.h
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nabla)
foreach(dir ir passes codegen)
  install(DIRECTORY ${PROJECT_BINARY_DIR}/${dir}
          DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/nabla/gen
          FILES_MATCHING PATTERN "*.h.inc"
          PATTERN "CMakeFiles" EXCLUDE)
endforeach()
install(DIRECTORY examples/ DESTINATION ${CMAKE_INSTALL_DATADIR}/nabla/examples
        PATTERN "CMakeLists.txt" EXCLUDE)
install(FILES examples/cpp/CMakeLists.txt
        DESTINATION ${CMAKE_INSTALL_DATADIR}/nabla/examples/cpp)

set(NABLA_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/nabla)
install(EXPORT nablaTargets NAMESPACE nabla:: DESTINATION ${NABLA_CMAKE_DIR})
configure_package_config_file(cmake/nablaConfig.cmake.in
  ${PROJECT_BINARY_DIR}/nablaConfig.cmake INSTALL_DESTINATION ${NABLA_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nablaConfig.cmake
              ${PROJECT_BINARY_DIR}/nablaConfigVersion.cmake
        DESTINATION ${NABLA_CMAKE_DIR})

# pkg-config: the libraries in link order, then LLVM's and the system's.
set(NABLA_PC_LIBS "")
foreach(lib NablaAPI NablaVulkan NablaCodegen NablaPasses NablaMLIRGen
            NablaOnnxExport NablaOnnx NablaSyntax NablaRuntime NablaIR NablaTensor)
  string(APPEND NABLA_PC_LIBS " -l${lib}")
endforeach()
if(NABLA_HAVE_MPI)
  foreach(lib ${MPI_C_LIBRARIES})
    string(APPEND NABLA_PC_LIBS " ${lib}")
  endforeach()
endif()
configure_file(cmake/nabla.pc.in ${PROJECT_BINARY_DIR}/nabla.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/nabla.pc
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

# cpack -G DEB (run in the build directory): a package of the above for
# Debian 12, with the packages it needs at run time.
set(CPACK_PACKAGE_NAME nabla)
set(CPACK_PACKAGE_VENDOR "the nabla developers")
set(CPACK_PACKAGE_CONTACT "nabla developers <nabla@localhost>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY
    "nabla: a compiler for training neural networks (nablac, nabla-opt, C++ API)")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_DEPENDS
    "libmlir-22, libllvm22, libomp-22-dev, libvulkan1, libonnx1, libprotobuf32, zlib1g, libstdc++6, libc6")
if(NABLA_HAVE_MPI)
  string(APPEND CPACK_DEBIAN_PACKAGE_DEPENDS ", libopenmpi3")
endif()
# export builds its libraries with the C compiler; the C++ API's headers
# need LLVM's and MLIR's.
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS
    "gcc, mesa-vulkan-drivers, llvm-22-dev, libmlir-22-dev, libvulkan-dev, libonnx-dev, libprotobuf-dev")
include(CPack)
