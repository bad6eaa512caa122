# Turns a file into a C source defining `const struct oc_web_asset <name>`.
# Called as: cmake -DIN=file -DOUT=file.c -DNAME=sym -DTYPE=mime -P embed.cmake
# -DHEADER=name.h: the header declaring struct oc_web_asset (default oc_web.h)
if(NOT HEADER)
  set(HEADER oc_web.h)
endif()
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" n)
math(EXPR len "${n} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
file(WRITE "${OUT}" "/* generated from ${IN}; do not edit */\n#include \"${HEADER}\"\nstatic const unsigned char data[] = {\n${bytes}0x00};\nconst struct oc_web_asset ${NAME} = {(const char *)data, ${len}, \"${TYPE}\"};\n")
