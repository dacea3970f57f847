# Installation layout and Debian packages (CPack's DEB generator, part of Debian's cmake).
# Two packages, so a coordinator host needs no agent and the reverse:
#   mmresync-agent  the agent, its hardened systemd unit, an example agent.toml
#   mmresync        the operator's CLI (the coordinator), an example cluster.toml
# Built by deploy/build-packages.sh from a release configuration (no test suite, so no
# fault points); see README.md, "Install".
include(GNUInstallDirs)

install(TARGETS mmresync-agent RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT agent)
install(TARGETS mmresync RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT cli)

# The unit names the binary where this configuration installs it.
file(READ ${CMAKE_SOURCE_DIR}/deploy/systemd/mmresync-agent.service MMRESYNC_UNIT)
string(REPLACE "/usr/local/bin/mmresync-agent" "${CMAKE_INSTALL_FULL_BINDIR}/mmresync-agent"
               MMRESYNC_UNIT "${MMRESYNC_UNIT}")
file(WRITE ${CMAKE_BINARY_DIR}/generated/systemd/mmresync-agent.service "${MMRESYNC_UNIT}")
install(FILES ${CMAKE_BINARY_DIR}/generated/systemd/mmresync-agent.service
        DESTINATION lib/systemd/system COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/examples/agent.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}-agent/examples COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR}-agent COMPONENT agent)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/examples/cluster.toml
        DESTINATION ${CMAKE_INSTALL_DOCDIR}/examples COMPONENT cli)
install(FILES ${CMAKE_SOURCE_DIR}/README.md DESTINATION ${CMAKE_INSTALL_DOCDIR} COMPONENT cli)
install(FILES ${CMAKE_SOURCE_DIR}/deploy/completion/mmresync
        DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT cli)

# Man pages written from each binary's --help by help2man (deploy/package/man-page.sh), so
# they cannot drift from the programs. The packages need them: build-packages.sh sets
# MMRESYNC_REQUIRE_MAN_PAGES; a developer's build without help2man just goes without.
option(MMRESYNC_REQUIRE_MAN_PAGES "Fail configuring when help2man is missing" OFF)
find_program(HELP2MAN help2man)
if(MMRESYNC_REQUIRE_MAN_PAGES AND NOT HELP2MAN)
  message(FATAL_ERROR "help2man is needed for the man pages (bash deploy/install-deps.sh)")
endif()
if(HELP2MAN)
  set(MMRESYNC_MAN_DIR ${CMAKE_BINARY_DIR}/generated/man)
  file(MAKE_DIRECTORY ${MMRESYNC_MAN_DIR})
  set(MMRESYNC_MAN_SCRIPT ${CMAKE_SOURCE_DIR}/deploy/package/man-page.sh)
  add_custom_command(
    OUTPUT ${MMRESYNC_MAN_DIR}/mmresync.1.gz
    COMMAND bash ${MMRESYNC_MAN_SCRIPT} $<TARGET_FILE:mmresync>
            "repair a broken MariaDB master-master pair" ${MMRESYNC_MAN_DIR}/mmresync.1.gz
            status plan recover verify history "backups list" "backups restore"
            "backups prune" "certs init" "certs issue"
    DEPENDS mmresync ${MMRESYNC_MAN_SCRIPT} VERBATIM)
  add_custom_command(
    OUTPUT ${MMRESYNC_MAN_DIR}/mmresync-agent.1.gz
    COMMAND bash ${MMRESYNC_MAN_SCRIPT} $<TARGET_FILE:mmresync-agent>
            "mmresync's agent on each database host of the pair"
            ${MMRESYNC_MAN_DIR}/mmresync-agent.1.gz check
    DEPENDS mmresync-agent ${MMRESYNC_MAN_SCRIPT} VERBATIM)
  add_custom_target(man-pages ALL DEPENDS ${MMRESYNC_MAN_DIR}/mmresync.1.gz
                                          ${MMRESYNC_MAN_DIR}/mmresync-agent.1.gz)
  install(FILES ${MMRESYNC_MAN_DIR}/mmresync.1.gz DESTINATION ${CMAKE_INSTALL_MANDIR}/man1
          COMPONENT cli)
  install(FILES ${MMRESYNC_MAN_DIR}/mmresync-agent.1.gz
          DESTINATION ${CMAKE_INSTALL_MANDIR}/man1 COMPONENT agent)
endif()

set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME mmresync)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT "mmresync maintainers <maintainers@users.noreply.example>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "Repairs a broken MariaDB master-master pair in one command")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL agent cli)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION database)
# Library dependencies come from the binaries themselves (dpkg-shlibdeps).
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)

set(CPACK_DEBIAN_AGENT_PACKAGE_NAME mmresync-agent)
set(CPACK_COMPONENT_AGENT_DESCRIPTION
    "mmresync agent: runs on each database host of the pair\n"
    "Local SQL through MariaDB Connector/C, dump/import and mariadb-backup streaming,\n"
    "keepalived control, a gRPC server over mutual TLS. Configure\n"
    "/etc/mmresync/agent.toml (example in /usr/share/doc/mmresync-agent/examples),\n"
    "then enable mmresync-agent.service.")
# mariadb-dump and the mariadb client are run by every logical re-seed.
set(CPACK_DEBIAN_AGENT_PACKAGE_DEPENDS "mariadb-client")
set(CPACK_DEBIAN_AGENT_PACKAGE_RECOMMENDS "mariadb-backup")
set(CPACK_DEBIAN_AGENT_PACKAGE_SUGGESTS "keepalived")
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_EXTRA ${CMAKE_SOURCE_DIR}/deploy/package/postinst
                                             ${CMAKE_SOURCE_DIR}/deploy/package/postrm)
set(CPACK_DEBIAN_AGENT_PACKAGE_CONTROL_STRICT_PERMISSION ON)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME mmresync)
set(CPACK_COMPONENT_CLI_DESCRIPTION
    "mmresync: the operator's CLI for a MariaDB master-master pair\n"
    "status, plan, recover, verify, backups and certs against the pair's two agents.")

include(CPack)
