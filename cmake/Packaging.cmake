# Installing TenantRelay (`cmake --install build`) and packaging it as a .deb (`cpack -G DEB`
# in the build folder). A .deb wants -DCMAKE_INSTALL_PREFIX=/usr: the systemd unit and the
# package scripts name the installed paths, fixed when configuring.
include(GNUInstallDirs)

set(TENANTRELAY_APP_ID io.tenantrelay.TenantRelay)
set(TENANTRELAY_DATA_DIR ${CMAKE_INSTALL_DATADIR}/tenantrelay)
set(TENANTRELAY_DOC_REL ${CMAKE_INSTALL_DATADIR}/doc/tenantrelay)
set(TENANTRELAY_DOC_DIR ${CMAKE_INSTALL_PREFIX}/${TENANTRELAY_DOC_REL})
set(TENANTRELAY_BIN ${CMAKE_INSTALL_FULL_BINDIR}/tenantrelay)
set(TENANTRELAY_SERVE_ENV ${CMAKE_INSTALL_FULL_SYSCONFDIR}/tenantrelay/serve.env)
set(TENANTRELAY_SERVE_ENV_EXAMPLE ${TENANTRELAY_DOC_DIR}/examples/serve.env)
# systemd also reads units and sysusers.d files under /usr/local/lib.
set(TENANTRELAY_UNIT_DIR lib/systemd/system)
set(TENANTRELAY_SYSUSERS_DIR lib/sysusers.d)
set(TENANTRELAY_SYSUSERS ${CMAKE_INSTALL_PREFIX}/${TENANTRELAY_SYSUSERS_DIR}/tenantrelay.conf)

set(PKG_RESOURCES ${PROJECT_SOURCE_DIR}/resources)
set(PKG_GENERATED ${PROJECT_BINARY_DIR}/packaging)
foreach(file systemd/tenantrelay.service systemd/serve.env debian/postinst debian/prerm
        debian/postrm)
    get_filename_component(name ${file} NAME)
    set(in ${PKG_RESOURCES}/${file})
    if(EXISTS ${in}.in)
        set(in ${in}.in)
    endif()
    configure_file(${in} ${PKG_GENERATED}/${name} @ONLY)
endforeach()

install(TARGETS tenantrelay RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

# The desktop: launcher, AppStream metadata, icon (scalable, and drawn for the fixed sizes).
install(FILES ${PKG_RESOURCES}/desktop/${TENANTRELAY_APP_ID}.desktop
    DESTINATION ${CMAKE_INSTALL_DATADIR}/applications)
install(FILES ${PKG_RESOURCES}/desktop/${TENANTRELAY_APP_ID}.metainfo.xml
    DESTINATION ${CMAKE_INSTALL_DATADIR}/metainfo)
install(FILES ${PKG_RESOURCES}/icons/${TENANTRELAY_APP_ID}.svg
    DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/scalable/apps)
foreach(size 16 32 48 64 128 256)
    install(FILES ${PKG_RESOURCES}/icons/${TENANTRELAY_APP_ID}-${size}.png
        DESTINATION ${CMAKE_INSTALL_DATADIR}/icons/hicolor/${size}x${size}/apps
        RENAME ${TENANTRELAY_APP_ID}.png)
endforeach()

# The shipped price list (the binary has its own copy compiled in): a starting point for
# `report costs --prices FILE` and `price set`.
install(FILES ${PKG_RESOURCES}/pricing.json DESTINATION ${TENANTRELAY_DATA_DIR})

# The relay as a system service.
install(FILES ${PKG_GENERATED}/tenantrelay.service DESTINATION ${TENANTRELAY_UNIT_DIR})
install(FILES ${PKG_RESOURCES}/systemd/tenantrelay.sysusers DESTINATION ${TENANTRELAY_SYSUSERS_DIR}
    RENAME tenantrelay.conf)
install(FILES ${PROJECT_SOURCE_DIR}/README.md DESTINATION ${TENANTRELAY_DOC_REL})
install(FILES ${PKG_GENERATED}/serve.env DESTINATION ${TENANTRELAY_DOC_REL}/examples)

# The .deb.
set(TENANTRELAY_PACKAGE_MAINTAINER "TenantRelay maintainers <maintainers@tenantrelay.invalid>"
    CACHE STRING "The Maintainer field of the .deb")
set(CPACK_PACKAGE_NAME tenantrelay)
set(CPACK_PACKAGE_VENDOR TenantRelay)
set(CPACK_PACKAGE_CONTACT ${TENANTRELAY_PACKAGE_MAINTAINER})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "multi-tenant OpenAI-compatible LLM relay with a desktop console")
# Lines of the .deb's long description (Debian wraps nothing itself).
string(JOIN "\n" CPACK_PACKAGE_DESCRIPTION
    "TenantRelay shares a team's access to LLM providers between its tenants:"
    "each calls the relay with its OpenAI SDK and a key of its own; the relay"
    "swaps in the provider's key, keeps each tenant inside its limits, budgets"
    "and share of the upstream connections, fails over between providers and"
    "meters every token into SQLite."
    "."
    "The desktop console manages the relay, locally or remotely; tenantrelay.service"
    "runs it headless on a server (`tenantrelay serve`).")
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION net)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
# The shared libraries linked (Qt, SQLite, http-parser, simdjson, qtkeychain) come from
# dpkg-shlibdeps; Qt's plugins are loaded at run time, so they are named here: the SQLite
# driver and the desktop's display plugins.
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_DEPENDS "libqt6sql6-sqlite, qt6-qpa-plugins")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "systemd, gnome-keyring")
set(CPACK_DEBIAN_PACKAGE_CONTROL_EXTRA
    ${PKG_GENERATED}/postinst ${PKG_GENERATED}/prerm ${PKG_GENERATED}/postrm)
set(CPACK_DEBIAN_PACKAGE_CONTROL_STRICT_PERMISSION ON)
include(CPack)
