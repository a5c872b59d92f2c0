# Warning flags shared by every target we compile.
function(peerlink_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion
                                           -Wno-sign-conversion -Wnon-virtual-dtor -Wold-style-cast
                                           -Woverloaded-virtual -Wimplicit-fallthrough)
  if(PEERLINK_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()
