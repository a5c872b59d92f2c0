# `cmake --install` gives embedders find_package(peerlink) (target peerlink::peerlink) and a
# pkg-config file. Internal headers install under include/peerlink/<layer>/, the facade under
# include/peerlink/ (include <peerlink/peerlink.hpp>).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(PEERLINK_INSTALL_LIBS)
foreach(layer node bitcoin devp2p cometbft gossip discovery connmgr router peer mux transport addrbook crypto codec base)
  if(TARGET peerlink_${layer})
    list(APPEND PEERLINK_INSTALL_LIBS peerlink_${layer})
  endif()
endforeach()

add_library(peerlink_lib INTERFACE)
set_target_properties(peerlink_lib PROPERTIES EXPORT_NAME peerlink)
target_link_libraries(peerlink_lib INTERFACE ${PEERLINK_INSTALL_LIBS})
target_include_directories(peerlink_lib INTERFACE $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>
                                                  $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}/include>)

install(TARGETS peerlink_lib ${PEERLINK_INSTALL_LIBS} EXPORT peerlinkTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/src/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/peerlink
        FILES_MATCHING PATTERN "*.hpp")
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT peerlinkTargets NAMESPACE peerlink:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/peerlink)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/peerlinkConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/peerlinkConfig.cmake
                              INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/peerlink)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/peerlinkConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/peerlinkConfig.cmake ${PROJECT_BINARY_DIR}/peerlinkConfigVersion.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/peerlink)

# pkg-config: static libraries, highest layer first so the linker resolves downwards.
set(PEERLINK_PC_LIBS "")
foreach(lib ${PEERLINK_INSTALL_LIBS})
  string(APPEND PEERLINK_PC_LIBS " -l${lib}")
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/peerlink.pc.in ${PROJECT_BINARY_DIR}/peerlink.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/peerlink.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
