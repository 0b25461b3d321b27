# TENANTRELAY_SANITIZE: a comma list handed to -fsanitize= for every target (relaycore, the
# console, the app, the tests), e.g. "address,undefined" or "thread". Every report is fatal
# (-fno-sanitize-recover=all) and frame pointers are kept for the sanitizers' backtraces.
# scripts/sanitize.sh and scripts/tsan.sh configure separate build directories with it.
#
# TENANTRELAY_FUZZ: libFuzzer targets in tests/fuzz (clang only). Everything is compiled with
# coverage instrumentation for the fuzzer plus ASan and UBSan; only the fuzz executables link
# libFuzzer's main. scripts/fuzz.sh configures build-fuzz with it.
set(TENANTRELAY_SANITIZE "" CACHE STRING
    "Comma list of sanitizers for -fsanitize= (e.g. address,undefined or thread)")
option(TENANTRELAY_FUZZ "Build the libFuzzer targets in tests/fuzz (clang only)" OFF)

if(TENANTRELAY_FUZZ)
    if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
        message(FATAL_ERROR "TENANTRELAY_FUZZ needs clang (libFuzzer): -DCMAKE_CXX_COMPILER=clang++")
    endif()
    if(TENANTRELAY_SANITIZE STREQUAL "")
        set(TENANTRELAY_SANITIZE "address,undefined")
    endif()
    add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(NOT TENANTRELAY_SANITIZE STREQUAL "")
    add_compile_options(-fsanitize=${TENANTRELAY_SANITIZE} -fno-sanitize-recover=all
                        -fno-omit-frame-pointer)
    add_link_options(-fsanitize=${TENANTRELAY_SANITIZE})
endif()
