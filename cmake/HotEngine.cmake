# hotengine CMake helpers. Included by the installed package (find_package(hotengine CONFIG)) and
# by hotengine's own CMakeLists.txt, so a parent project using add_subdirectory() has them too.
#
#   hot_live_sources(TARGET <executable> DIRECTORY <dir>
#                    [CONFIG_OUT <path>] [FLAGS <clang++ flag>...])
#
# Marks the sources under <dir> as live code of host <executable>: code that hotengine compiles
# and hot-reloads at run time instead of the executable's compiler at build time. It
#   * links <executable> to hotengine::engine and sets ENABLE_EXPORTS, so live code can call
#     functions defined in the host;
#   * writes a hot::Config JSON file at CONFIG_OUT (default ${CMAKE_CURRENT_BINARY_DIR}/
#     <executable>.hot.json) with the host's C++ standard ("std": CXX_STANDARD, else 20), include
#     directories ("include_dirs") and compile definitions ("defines"), both including those
#     of linked targets, and FLAGS ("flags"), so live code sees what the host's sources see. It is
#     regenerated at build time whenever they change;
#   * defines HOT_LIVE_DIR (absolute <dir>) and HOT_CONFIG_PATH (absolute CONFIG_OUT) for the
#     executable's sources, so the host does:
#         auto config = hot::Config::fromJsonFile(HOT_CONFIG_PATH);
#         auto engine = hot::HotEngine::create(*config);
#         (*engine)->watch(HOT_LIVE_DIR);
#   * lists the files under <dir> in a custom target <executable>_hot (which builds the config)
#     so IDEs show them. They are never compiled into the executable: do not add them to it.
#
# One call per executable. Paths are absolute and point into the source and build trees: an
# installed host should ship its own config and live folder. With a multi-config generator the
# config of the last build wins.
include_guard(GLOBAL)
if(CMAKE_VERSION VERSION_LESS 3.20)
  message(FATAL_ERROR "hotengine's CMake helpers need CMake 3.20 or newer")
endif()

function(hot_live_sources)
  cmake_parse_arguments(PARSE_ARGV 0 arg "" "TARGET;DIRECTORY;CONFIG_OUT" "FLAGS")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "hot_live_sources: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_TARGET OR NOT arg_DIRECTORY)
    message(FATAL_ERROR "hot_live_sources: TARGET and DIRECTORY are required")
  endif()
  set(tgt ${arg_TARGET})
  if(NOT TARGET ${tgt})
    message(FATAL_ERROR "hot_live_sources: no target named '${tgt}'")
  endif()
  get_target_property(type ${tgt} TYPE)
  if(NOT type STREQUAL "EXECUTABLE")
    message(FATAL_ERROR "hot_live_sources: '${tgt}' is a ${type}; it must be an executable")
  endif()
  get_target_property(previous ${tgt} HOT_LIVE_DIR)
  if(previous)
    message(FATAL_ERROR "hot_live_sources: '${tgt}' already has live sources (${previous})")
  endif()
  if(NOT TARGET hotengine::engine)
    message(FATAL_ERROR "hot_live_sources: hotengine::engine is not defined here: use "
                        "find_package(hotengine CONFIG REQUIRED) or add_subdirectory(hotengine)")
  endif()

  get_filename_component(dir "${arg_DIRECTORY}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT IS_DIRECTORY "${dir}")
    message(FATAL_ERROR "hot_live_sources: '${dir}' is not a directory")
  endif()
  if(arg_CONFIG_OUT)
    get_filename_component(out "${arg_CONFIG_OUT}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  else()
    set(out "${CMAKE_CURRENT_BINARY_DIR}/${tgt}.hot.json")
  endif()

  set_target_properties(${tgt} PROPERTIES ENABLE_EXPORTS ON HOT_LIVE_DIR "${dir}"
                                          HOT_CONFIG_PATH "${out}")
  target_link_libraries(${tgt} PRIVATE hotengine::engine)
  target_compile_definitions(${tgt} PRIVATE "HOT_LIVE_DIR=\"${dir}\"" "HOT_CONFIG_PATH=\"${out}\"")

  # Generator expressions see the final, transitive include directories and definitions;
  # file(GENERATE) cannot escape them for JSON, so it writes a CMake script that a build step
  # turns into JSON (HotEngineWriteConfig.cmake).
  set(inputs "${CMAKE_CURRENT_BINARY_DIR}/CMakeFiles/${tgt}.hot/config-inputs-$<CONFIG>.cmake")
  string(REPLACE "]==]" "" flags "${arg_FLAGS}")
  # (TARGET must follow CONTENT: CMake 3.25 crashes on the other order.)
  file(GENERATE OUTPUT "${inputs}" CONTENT
"set(HOT_STD [==[$<TARGET_PROPERTY:${tgt},CXX_STANDARD>]==])
set(HOT_INCLUDE_DIRS [==[$<TARGET_PROPERTY:${tgt},INCLUDE_DIRECTORIES>]==])
set(HOT_DEFINES [==[$<TARGET_PROPERTY:${tgt},COMPILE_DEFINITIONS>]==])
set(HOT_FLAGS [==[${flags}]==])
" TARGET ${tgt})
  set(writer "${CMAKE_CURRENT_FUNCTION_LIST_DIR}/HotEngineWriteConfig.cmake")
  add_custom_command(OUTPUT "${out}"
    COMMAND "${CMAKE_COMMAND}" "-DHOT_INPUT=${inputs}" "-DHOT_OUTPUT=${out}" -P "${writer}"
    DEPENDS "${inputs}" "${writer}"
    COMMENT "Writing hotengine config ${out}"
    VERBATIM)

  file(GLOB_RECURSE live CONFIGURE_DEPENDS
    "${dir}/*.cpp" "${dir}/*.cc" "${dir}/*.cxx" "${dir}/*.c++"
    "${dir}/*.h" "${dir}/*.hh" "${dir}/*.hpp" "${dir}/*.hxx" "${dir}/*.inl")
  add_custom_target(${tgt}_hot DEPENDS "${out}" SOURCES ${live})
  if(live)
    source_group(TREE "${dir}" PREFIX "Live" FILES ${live})
  endif()
  add_dependencies(${tgt} ${tgt}_hot)
endfunction()
