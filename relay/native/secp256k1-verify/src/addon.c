/*
 * BIP-340 Schnorr verification over the system libsecp256k1, batched: one
 * call from JavaScript checks a whole batch of signatures, so the cost of
 * crossing into C is paid once per batch, not once per event. Event ids are
 * hashed in JavaScript (relay/src/core/batch-checker.ts says why); only the
 * signature checks are here.
 */
#include <node_api.h>
#include <secp256k1.h>
#include <secp256k1_extrakeys.h>
#include <secp256k1_schnorrsig.h>
#include <stdint.h>

/* One record of verify(): the 32-byte message (a NIP-01 id), the x-only pubkey, the signature. */
#define RECORD 128

static int schnorr_ok(const secp256k1_context *ctx, const unsigned char *msg,
                      const unsigned char *pub, const unsigned char *sig) {
  secp256k1_xonly_pubkey key;
  /* A pubkey that is not the x coordinate of a curve point fails here. */
  if (!secp256k1_xonly_pubkey_parse(ctx, &key, pub)) return 0;
  return secp256k1_schnorrsig_verify(ctx, sig, msg, 32, &key);
}

static void destroy_context(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  secp256k1_context_destroy((secp256k1_context *)data);
}

static napi_value throw_error(napi_env env, const char *message) {
  napi_throw_type_error(env, NULL, message);
  return NULL;
}

/* Reads (Uint8Array, count) and returns the bytes and count, or NULL after throwing. */
static const unsigned char *read_args(napi_env env, napi_callback_info info, uint32_t *count,
                                      size_t *length) {
  size_t argc = 2;
  napi_value argv[2];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2) {
    throw_error(env, "expected (Uint8Array, count)");
    return NULL;
  }
  bool is_typed = false;
  napi_is_typedarray(env, argv[0], &is_typed);
  napi_typedarray_type type;
  void *data = NULL;
  napi_value ab;
  size_t offset;
  if (!is_typed ||
      napi_get_typedarray_info(env, argv[0], &type, length, &data, &ab, &offset) != napi_ok ||
      type != napi_uint8_array) {
    throw_error(env, "the first argument must be a Uint8Array");
    return NULL;
  }
  if (napi_get_value_uint32(env, argv[1], count) != napi_ok) {
    throw_error(env, "the count must be a non-negative integer");
    return NULL;
  }
  /* An empty array may have no backing store at all. */
  return data == NULL ? (const unsigned char *)"" : (const unsigned char *)data;
}

/* A fresh Uint8Array of n bytes, its contents at *out. */
static napi_value new_bytes(napi_env env, uint32_t n, unsigned char **out) {
  napi_value ab, arr;
  void *data;
  if (napi_create_arraybuffer(env, n, &data, &ab) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, n, ab, 0, &arr) != napi_ok) {
    return NULL;
  }
  *out = (unsigned char *)data;
  return arr;
}

/*
 * verify(records, count): records holds count records of 128 bytes
 * (message, pubkey, signature). Returns a Uint8Array of count bytes, 1 where
 * the signature is valid.
 */
static napi_value verify(napi_env env, napi_callback_info info) {
  secp256k1_context *ctx;
  napi_get_instance_data(env, (void **)&ctx);
  uint32_t count;
  size_t length;
  const unsigned char *in = read_args(env, info, &count, &length);
  if (in == NULL) return NULL;
  if ((uint64_t)count * RECORD > length) return throw_error(env, "records too short for count");
  unsigned char *out;
  napi_value result = new_bytes(env, count, &out);
  if (result == NULL) return NULL;
  for (uint32_t i = 0; i < count; i++) {
    const unsigned char *r = in + (size_t)i * RECORD;
    out[i] = (unsigned char)schnorr_ok(ctx, r, r + 32, r + 64);
  }
  return result;
}

NAPI_MODULE_INIT() {
  /* One context per thread's instance: nothing is shared between workers. */
  secp256k1_context *ctx = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
  if (ctx == NULL) {
    napi_throw_error(env, NULL, "secp256k1_context_create failed");
    return NULL;
  }
  if (napi_set_instance_data(env, ctx, destroy_context, NULL) != napi_ok) {
    secp256k1_context_destroy(ctx);
    return NULL;
  }
  napi_property_descriptor props[] = {
      {"verify", NULL, verify, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  return exports;
}
