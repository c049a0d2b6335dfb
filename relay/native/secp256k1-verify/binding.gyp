{
  "targets": [
    {
      "target_name": "secp256k1_verify",
      "sources": ["src/addon.c"],
      "libraries": ["-lsecp256k1"],
      "cflags": ["-O3", "-Wall", "-Wextra"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
