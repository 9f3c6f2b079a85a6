{
  "targets": [
    {
      "target_name": "cocoda",
      # Every .cc in native/ is compiled in; each kernel family registers itself (native/registry.h),
      # so adding a kernel file never means editing this list or addon.cc.
      "sources": [
        "<!@(node -p \"require('fs').readdirSync('native').filter(f => f.endsWith('.cc')).sort().map(f => 'native/' + f).join(' ')\")"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      # The loader checks these against the package and the sources beside it (a stale addon
      # after a pull falls back to the TypeScript twins with a rebuild hint).
      "defines": [
        "NAPI_VERSION=8",
        "NODE_ADDON_API_DISABLE_DEPRECATED",
        "COCODA_PACKAGE_VERSION=<!(node -p \"require('./package.json').version\")",
        "COCODA_SOURCE_HASH=<!(node scripts/native-hash.mjs)"
      ],
      # NDEBUG only in Release, so buildInfo().debug is true exactly for `node-gyp rebuild --debug`.
      "configurations": {
        "Release": { "defines": ["NDEBUG"] },
        "Debug": { "defines": ["COCODA_DEBUG_BUILD"] }
      },
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-O3", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": { "VCCLCompilerTool": { "ExceptionHandling": 1 } }
    }
  ]
}
