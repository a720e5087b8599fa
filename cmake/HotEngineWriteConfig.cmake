# Build step of hot_live_sources() (HotEngine.cmake), run as
#   cmake -DHOT_INPUT=<inputs.cmake> -DHOT_OUTPUT=<config.json> -P HotEngineWriteConfig.cmake
# <inputs.cmake> (from file(GENERATE)) sets HOT_STD, HOT_INCLUDE_DIRS, HOT_DEFINES and HOT_FLAGS;
# this writes them as a hot::Config JSON file. Only keys hot::Config knows are written: unknown
# keys are errors when the host loads the file.
cmake_minimum_required(VERSION 3.25)
if(NOT HOT_INPUT OR NOT HOT_OUTPUT)
  message(FATAL_ERROR "usage: cmake -DHOT_INPUT=<in> -DHOT_OUTPUT=<out> -P ${CMAKE_CURRENT_LIST_FILE}")
endif()
include("${HOT_INPUT}")

function(hot_json_string out text)
  string(REPLACE "\\" "\\\\" text "${text}")
  string(REPLACE "\"" "\\\"" text "${text}")
  string(REPLACE "\n" "\\n" text "${text}")
  string(REPLACE "\r" "\\r" text "${text}")
  string(REPLACE "\t" "\\t" text "${text}")
  set(${out} "\"${text}\"" PARENT_SCOPE)
endfunction()

function(hot_json_array out)
  set(items "")
  foreach(item IN LISTS ARGN)
    if(item STREQUAL "")
      continue()
    endif()
    hot_json_string(quoted "${item}")
    list(APPEND items "${quoted}")
  endforeach()
  list(REMOVE_DUPLICATES items)
  if(items)
    list(JOIN items ",\n    " joined)
    set(${out} "[\n    ${joined}\n  ]" PARENT_SCOPE)
  else()
    set(${out} "[]" PARENT_SCOPE)
  endif()
endfunction()

if(NOT HOT_STD)
  set(HOT_STD 20)
endif()
# The host's own HOT_LIVE_DIR / HOT_CONFIG_PATH (set by hot_live_sources) are not for live code.
list(FILTER HOT_DEFINES EXCLUDE REGEX "^HOT_(LIVE_DIR|CONFIG_PATH)(=|$)")

hot_json_string(std "c++${HOT_STD}")
hot_json_array(include_dirs ${HOT_INCLUDE_DIRS})
hot_json_array(defines ${HOT_DEFINES})
hot_json_array(flags ${HOT_FLAGS})
set(json "{\n  \"std\": ${std},\n  \"include_dirs\": ${include_dirs},\n  \"defines\": ${defines},\n  \"flags\": ${flags}\n}\n")
string(JSON check ERROR_VARIABLE error TYPE "${json}")
if(error)
  message(FATAL_ERROR "hotengine: generated invalid JSON for ${HOT_OUTPUT}: ${error}\n${json}")
endif()
file(WRITE "${HOT_OUTPUT}" "${json}")
