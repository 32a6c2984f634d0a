# client/install.cmake - what `cmake --install` puts in a prefix for programs
# built outside this tree against libcruddur (README.md, "Install"):
#
#   lib/libcruddur.so.MAJOR.MINOR.PATCH, .so.MAJOR (its soname), .so
#   lib/libcruddur.a
#   include/cruddur/*.h            client/include/cruddur/ and the generated
#                                  stubs.h and version.h
#   include/cruddur/v1/*.pb-c.h    protoc-c's messages
#   lib/pkgconfig/cruddur.pc       pkg-config; relocatable (${pcfiledir})
#   lib/cmake/cruddur/             find_package(cruddur): cruddur::cruddur,
#                                  the shared library
#   share/cruddur/proto/           the .proto files, as imported (cruddur/v1/...)
#   share/cruddur/cruddur.desc     their FileDescriptorSet, imports included
#
# (lib is CMAKE_INSTALL_LIBDIR.) All of it is the install component
# libcruddur: the programs, linked statically, need none of it, so the
# container installs only the runtime component. Included from CMakeLists.txt
# after the targets; tests/install/ installs into a scratch prefix and builds
# against it.
include(CMakePackageConfigHelpers)
set(CRUDDUR_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/cruddur)

install(TARGETS cruddur_shared EXPORT cruddurTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libcruddur
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(TARGETS cruddur ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT libcruddur)

install(DIRECTORY client/include/cruddur/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cruddur
  COMPONENT libcruddur FILES_MATCHING PATTERN "*.h")
install(FILES ${GEN_DIR}/cruddur/stubs.h ${GEN_DIR}/cruddur/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cruddur COMPONENT libcruddur)
install(DIRECTORY ${GEN_DIR}/cruddur/v1/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/cruddur/v1
  COMPONENT libcruddur FILES_MATCHING PATTERN "*.pb-c.h")

install(DIRECTORY proto/ DESTINATION ${CMAKE_INSTALL_DATADIR}/cruddur/proto
  COMPONENT libcruddur FILES_MATCHING PATTERN "*.proto")
install(FILES ${GEN_DIR}/cruddur.desc DESTINATION ${CMAKE_INSTALL_DATADIR}/cruddur
  COMPONENT libcruddur)

# pkg-config: the prefix is found from where the file lies, so that a prefix
# may be moved, or installed into with `cmake --install --prefix`.
file(RELATIVE_PATH CRUDDUR_PC_UP /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" CRUDDUR_PC_UP "${CRUDDUR_PC_UP}")
configure_file(client/cruddur.pc.in ${CMAKE_BINARY_DIR}/cruddur.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/cruddur.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig
  COMPONENT libcruddur)

# The CMake package. Pre-1.0 as 1.0 and later: a new major version breaks
# the ABI (it is the soname's), so only the same major version matches.
install(EXPORT cruddurTargets NAMESPACE cruddur:: DESTINATION ${CRUDDUR_CMAKE_DIR}
  COMPONENT libcruddur)
configure_package_config_file(client/cruddurConfig.cmake.in
  ${CMAKE_BINARY_DIR}/cruddurConfig.cmake INSTALL_DESTINATION ${CRUDDUR_CMAKE_DIR})
write_basic_package_version_file(${CMAKE_BINARY_DIR}/cruddurConfigVersion.cmake
  VERSION ${PROJECT_VERSION} COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/cruddurConfig.cmake
  ${CMAKE_BINARY_DIR}/cruddurConfigVersion.cmake DESTINATION ${CRUDDUR_CMAKE_DIR}
  COMPONENT libcruddur)
