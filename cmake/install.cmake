# `cmake --install` and the Debian package (CPack): the binary, its manual pages and bash
# completion (made by the built binary from its own help), the systemd units, the
# server's system user (sysusers.d), an example /etc/pcipass/pcipass.conf and the
# units' option files in /etc/default. pcipass is system software: the prefix defaults
# to /usr, so that /etc is its configuration directory.
include(GNUInstallDirs)

set(PCIPASS_GENERATED ${CMAKE_BINARY_DIR}/generated)
add_custom_command(
  OUTPUT ${PCIPASS_GENERATED}/man/pcipass.1 ${PCIPASS_GENERATED}/completion/pcipass
  COMMAND ${CMAKE_COMMAND} -E rm -rf ${PCIPASS_GENERATED}/man
  COMMAND $<TARGET_FILE:pcipass> man ${PCIPASS_GENERATED}/man
  COMMAND ${CMAKE_COMMAND} -E make_directory ${PCIPASS_GENERATED}/completion
  COMMAND sh -c "exec \"$0\" completion bash > \"$1\"" $<TARGET_FILE:pcipass> ${PCIPASS_GENERATED}/completion/pcipass
  DEPENDS pcipass
  COMMENT "Manual pages and bash completion from pcipass's own help"
  VERBATIM)
add_custom_target(pcipass_docs ALL DEPENDS ${PCIPASS_GENERATED}/man/pcipass.1 ${PCIPASS_GENERATED}/completion/pcipass)

foreach(unit pcipass-server pcipass-agent)
  configure_file(${CMAKE_SOURCE_DIR}/packaging/systemd/${unit}.service.in ${PCIPASS_GENERATED}/systemd/${unit}.service @ONLY)
endforeach()

install(TARGETS pcipass RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PCIPASS_GENERATED}/man/ DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 FILES_MATCHING PATTERN "*.1")
install(FILES ${PCIPASS_GENERATED}/completion/pcipass DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions)
install(FILES ${PCIPASS_GENERATED}/systemd/pcipass-server.service ${PCIPASS_GENERATED}/systemd/pcipass-agent.service
        DESTINATION lib/systemd/system)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/pcipass.sysusers DESTINATION lib/sysusers.d RENAME pcipass.conf)
install(FILES ${CMAKE_SOURCE_DIR}/examples/pcipass.conf DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/pcipass)
install(FILES ${CMAKE_SOURCE_DIR}/packaging/default/pcipass-server ${CMAKE_SOURCE_DIR}/packaging/default/pcipass-agent
        DESTINATION ${CMAKE_INSTALL_FULL_SYSCONFDIR}/default)
install(FILES ${CMAKE_SOURCE_DIR}/README.md ${CMAKE_SOURCE_DIR}/docs/api.md ${CMAKE_SOURCE_DIR}/docs/nova-differences.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

# The Debian package: `cpack -G DEB` in the build directory.
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME pcipass)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "pcipass maintainers <pcipass@example.org>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "PCI passthrough for KVM fleets: whole devices, SR-IOV PFs and VFs")
set(CPACK_PACKAGE_DESCRIPTION "pcipass gives virtual machines physical PCI devices across a fleet of KVM hosts. It reads
Nova's [pci] device_spec and alias lines, places each VM on a host with the devices free, on
the right NUMA node, explains every No valid host, and, as an agent on each host, binds the
devices to vfio-pci and gives them back.")
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION admin)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "adduser")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "libvirt-daemon-system, postgresql")
file(WRITE ${PCIPASS_GENERATED}/deb/conffiles
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/pcipass/pcipass.conf\n"
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/pcipass-server\n"
     "${CMAKE_INSTALL_FULL_SYSCONFDIR}/default/pcipass-agent\n")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PCIPASS_GENERATED}/deb/conffiles ${CMAKE_SOURCE_DIR}/packaging/deb/postinst ${CMAKE_SOURCE_DIR}/packaging/deb/prerm
    ${CMAKE_SOURCE_DIR}/packaging/deb/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
set(CPACK_STRIP_FILES ON)
include(CPack)
