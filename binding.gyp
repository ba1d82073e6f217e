# node-gyp build of the same sources as CMakeLists.txt (the primary build, via cmake-js): the addon
# and the eigensolver helper process (native/helper), which must sit next to it.
# CI proves that this one builds and loads too. Sources are globbed the same way.
# The optional MPI driver (native/mpi/, analyze --ranks) is built by CMakeLists.txt only: the addon
# does not need it, and node-gyp does not build it.
{
  "targets": [
    {
      "target_name": "hessian_lab",
      "sources": [
        "<!@(ls -1 native/core/*.cc)",
        "<!@(ls -1 native/binding/*.cc)"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "native/vendor/eigen",
        "/usr/include/<!(gcc -print-multiarch)/openblas64-pthread"
      ],
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_CPP_EXCEPTIONS",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "LAPACK_ILP64",
        "EIGEN_MPL2_ONLY",
        "EIGEN_NO_DEBUG"
      ],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions", "-fvisibility=hidden"],
      "ldflags": ["-fopenmp"],
      "libraries": [
        "-L/usr/lib/<!(gcc -print-multiarch)/openblas64-pthread",
        "-Wl,-rpath,/usr/lib/<!(gcc -print-multiarch)/openblas64-pthread",
        "-llapacke64",
        "-lopenblas64",
        "-lgomp"
      ]
    },
    {
      "target_name": "hessian_lab_eigensolver",
      "type": "executable",
      "sources": [
        "native/helper/eigensolver_main.cc",
        "<!@(ls -1 native/core/*.cc)"
      ],
      "include_dirs": ["native/vendor/eigen", "/usr/include/x86_64-linux-gnu/openblas64-pthread"],
      "defines": ["LAPACK_ILP64", "EIGEN_MPL2_ONLY", "EIGEN_NO_DEBUG"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++17", "-std=gnu++20"],
      "cflags_cc": ["-std=c++17", "-O3", "-fopenmp", "-fexceptions"],
      "ldflags": ["-fopenmp", "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas64-pthread"],
      "libraries": [
        "-L/usr/lib/x86_64-linux-gnu/openblas64-pthread",
        "-llapacke64",
        "-lopenblas64",
        "-lgomp"
      ]
    }
  ]
}
