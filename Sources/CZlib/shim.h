#ifndef PORTICO_CZLIB_SHIM_H
#define PORTICO_CZLIB_SHIM_H
// zlib (zlib1g-dev) for gzip: gRPC's `grpc-encoding: gzip` and HTTP `Content-Encoding: gzip`.
#include <zlib.h>
#endif
